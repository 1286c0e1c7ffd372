"""Hostile PDFs through the clerk's upload: bombs are refused or marked unreadable within the
memory limit, active content is flagged and never rendered inline, file names lose bidi tricks."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.core.extensions import db
from edoc.documents.models import DocumentFile
from tests.fixtures.app import api_token, login
from tests.fixtures.documents import count_documents, post_draft, post_incoming
from tests.fixtures.hostile_pdfs import (
    ACTIVE_CONTENT,
    active_content_pdf,
    object_stream_bomb_pdf,
    plain_pdf,
    text_bomb_pdf,
)


def _only_downloaded(client: FlaskClient, path: str) -> str:
    """The document page at ``path`` serves its file as an attachment in a sandbox even when
    asked to show it inline, and warns of its active content; the page's HTML."""
    served = client.get(f"{path}/file?inline=1")
    assert served.status_code == 200
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert served.headers["Content-Security-Policy"] == "sandbox"
    page = client.get(path).get_data(as_text=True)
    assert 'data-testid="active-content-alert"' in page
    return page


BIDI_AND_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\x07"


def test_a_decompression_bomb_is_refused_quickly(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    started = time.monotonic()
    response = post_incoming(client, clerk, object_stream_bomb_pdf(4096), received_via="electronic")
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "decompression_bomb"
    assert "bom giải nén" in error["message"]
    assert time.monotonic() - started < 20
    assert count_documents(app) == 0


def test_a_text_bomb_is_accepted_and_its_text_marked_too_large(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    """pdftotext would take 2 GB on this scan; held to 256 MB it stops, and the upload and the
    text extraction each finish with a clear outcome."""
    from edoc.search.indexing import extract

    app.config["EDOC"] = dataclasses.replace(app.config["EDOC"], file_tool_memory_mb=256)
    started = time.monotonic()
    response = post_incoming(client, clerk, text_bomb_pdf())
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        stored = db.session.scalars(select(DocumentFile)).one()
        text = extract(stored.sha256, queue=False)
        assert (text.status, text.error_code) == ("failed", "too_large")
        assert "memory limit 256 MB" in text.error
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("kind", sorted(ACTIVE_CONTENT))
def test_active_content_is_flagged_and_only_downloaded(
    client: FlaskClient, clerk: dict[str, str], kind: str
) -> None:
    response = post_incoming(client, clerk, active_content_pdf(kind), received_via="electronic")
    assert response.status_code == 201, response.get_json()
    document_id = response.get_json()["id"]

    api = client.get(f"/api/v1/documents/{document_id}/file", headers=clerk)
    assert api.headers["Content-Disposition"].startswith("attachment;")
    assert api.headers["Content-Security-Policy"] == "sandbox"
    login(client, "vanthu")
    page = _only_downloaded(client, f"/incoming/{document_id}")
    assert "Cảnh báo an toàn: tệp PDF này chứa" in page


def test_an_ordinary_pdf_is_still_shown_inline(client: FlaskClient, clerk: dict[str, str]) -> None:
    response = post_incoming(client, clerk, plain_pdf(), received_via="electronic")
    document_id = response.get_json()["id"]
    login(client, "vanthu")
    viewed = client.get(f"/incoming/{document_id}/file?inline=1")
    assert viewed.headers["Content-Disposition"].startswith("inline;")
    assert "sandbox" not in viewed.headers.get("Content-Security-Policy", "")
    page = client.get(f"/incoming/{document_id}").get_data(as_text=True)
    assert "active-content-alert" not in page


def test_bidi_and_control_characters_leave_file_names(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    """ "hoa-don\u202efdp.exe" displays as "hoa-donexe.pdf"; stored and served without them."""
    name = f"Công văn {BIDI_AND_CONTROLS}hoa-don\u202efdp.exe"
    response = post_incoming(client, clerk, plain_pdf(), name=name, received_via="electronic")
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        stored = db.session.scalars(select(DocumentFile)).one()
        assert stored.filename == "Công văn hoa-donfdp.exe"
    download = client.get(f"/api/v1/documents/{response.get_json()['id']}/file", headers=clerk)
    served = unquote(download.headers["Content-Disposition"].split("UTF-8''", 1)[1])
    assert served == "Công văn hoa-donfdp.exe"
    assert not set(served) & set(BIDI_AND_CONTROLS)


def test_a_draft_with_javascript_is_flagged_and_only_downloaded(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    """A draft is served from its version, not a document file: the same rule holds."""
    specialist = {"Authorization": f"Bearer {api_token(client, 'chuyenvien')}"}
    script = active_content_pdf("open-action-javascript")
    created = post_draft(
        client, specialist, script, doc_type="TTr", subject="Tờ trình có mã JavaScript"
    )
    assert created.status_code == 201, created.get_json()
    document_id = created.get_json()["id"]
    login(client, "chuyenvien")
    page = _only_downloaded(client, f"/outgoing/{document_id}")
    assert "mã JavaScript" in page
