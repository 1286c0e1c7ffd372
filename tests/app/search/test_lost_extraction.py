"""A worker killed while it reads a PDF's text (OCR can take minutes) takes the extraction
task with it: the queue handed the task over and nothing else schedules it. The hourly check
finds the PDF unread, schedules it again once it was found so twice (a PDF being read right
now is unread too), and the document is then found by the words of its body.

The kill is an exception no ``except Exception`` in edoc or Huey catches, raised by the app's
real blob store when the extraction reads the file; Huey runs tasks inline in tests.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.documents.models import DocumentFile
from edoc.search.indexing import unread_pdfs
from edoc.search.models import TextExtract
from edoc.search.tasks import LOST_AFTER_SECONDS, extract_text_task, schedule_lost_extractions
from storage import BlobStore
from tests.fixtures.documents import receive_incoming
from tests.fixtures.pdfs import text_pdf


class WorkerKilled(BaseException):
    """The process ended here."""


class KilledOnRead:
    def __init__(self, real: BlobStore) -> None:
        self.real = real

    def open(self, sha256: str) -> Any:
        raise WorkerKilled

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


def _found(client: FlaskClient, headers: dict[str, str], q: str) -> list[int]:
    answer = client.get("/api/v1/search", query_string={"q": q}, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return [r["id"] for r in answer.get_json()["results"]]


def test_a_text_extraction_lost_with_its_worker_is_scheduled_again(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    document_id = receive_incoming(
        client, clerk, text_pdf("Kênh mương nội đồng xã Thạch Kim"), subject="Báo cáo thủy lợi"
    )
    assert _found(client, clerk, "Thạch Kim") == [document_id]
    with app.app_context():
        sha256 = db.session.scalar(
            select(DocumentFile.sha256).where(DocumentFile.document_id == document_id)
        )
        # as if the worker that read this PDF had been killed before it saved the text
        db.session.execute(delete(TextExtract).where(TextExtract.sha256 == sha256))
        db.session.commit()
        real = blob_store()
        app.extensions["edoc.blobstore"] = KilledOnRead(real)
        with pytest.raises(WorkerKilled):
            extract_text_task(sha256)  # and the next worker to read it is killed too
        db.session.rollback()
        app.extensions["edoc.blobstore"] = real
        assert unread_pdfs() == [sha256]

        assert schedule_lost_extractions() == []  # found unread once: maybe being read now
        assert schedule_lost_extractions() == []  # again at once (another worker's check)
        assert db.session.get(TextExtract, sha256) is None
        an_hour_later = time.monotonic() + LOST_AFTER_SECONDS
        assert schedule_lost_extractions(an_hour_later) == [sha256]  # lost: read (inline)
        db.session.expire_all()
        extract = db.session.get(TextExtract, sha256)
        assert extract is not None and extract.status == "ok" and "Thạch Kim" in extract.text
        assert unread_pdfs() == []
        assert schedule_lost_extractions() == []
    assert _found(client, clerk, "Thạch Kim") == [document_id]
