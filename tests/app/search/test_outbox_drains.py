"""Drains running at once (after requests, every minute, in several workers) share the outbox:
no row is pushed twice, none is lost, and one document is never pushed by two at a time."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from edoc.core.extensions import db
from edoc.documents.models import DocumentFile
from edoc.jobs import outbox
from edoc.jobs.models import OutboxEntry
from edoc.search import indexing
from edoc.search.backend import search_backend
from edoc.search.models import TextExtract
from search import IndexDocument, SearchBackend
from tests.fixtures.documents import receive_incoming
from tests.fixtures.pdfs import text_pdf
from tests.fixtures.processes import wait_for

DOCUMENTS = list(range(1, 25))  # ids no document has: each push is a delete from the index


class WatchedIndex:
    """The app's real index, watched: which documents each push carried, and whether two pushes
    of one document ever overlapped. The first push of document 1 also writes a newer change
    for it, as a request would while a drain is busy."""

    def __init__(self, app: Flask, real: SearchBackend) -> None:
        self.app = app
        self.real = real
        self.pushed: Counter[int] = Counter()
        self.in_flight: set[int] = set()
        self.overlaps: list[int] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()
        self.changed_meanwhile = False

    def delete(self, ids: Sequence[str]) -> None:
        numbers = [int(i) for i in ids]
        with self.lock:
            self.threads.add(threading.current_thread().name)
            self.overlaps += [n for n in numbers if n in self.in_flight]
            self.in_flight.update(numbers)
        if 1 in numbers and not self.changed_meanwhile:
            self.changed_meanwhile = True
            with db.engine.begin() as connection:
                outbox.write(connection, "search", [1])
        time.sleep(0.05)  # long enough for the other drain to claim meanwhile
        self.real.delete(ids)
        with self.lock:
            self.in_flight.difference_update(numbers)
            self.pushed.update(numbers)

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


def _queue(app: Flask, document_ids: list[int]) -> None:
    with app.app_context():
        outbox.queue("search", document_ids)
        outbox.queue("search", document_ids[::3])  # several changes to some documents
        db.session.commit()


def _rows(app: Flask) -> list[OutboxEntry]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxEntry)))


def test_two_drains_at_once_push_each_change_once_and_lose_none(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexing, "BATCH", 4)  # many small claims, so the drains interleave
    _queue(app, DOCUMENTS)
    with app.app_context():
        watched = WatchedIndex(app, search_backend())
    app.extensions["edoc.search"] = watched
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                counts.append(indexing.drain())
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    drains = [threading.Thread(target=run, name=f"drain-{n}") for n in (1, 2)]
    for thread in drains:
        thread.start()
    for thread in drains:
        thread.join(timeout=120)

    assert errors == []
    assert watched.overlaps == []  # one document was never pushed by both at a time
    assert watched.threads == {"drain-1", "drain-2"}  # both drains did part of the work
    # Each document once; document 1 again for the change written during its first push.
    assert watched.pushed == Counter({**dict.fromkeys(DOCUMENTS, 1), 1: 2})
    assert sum(counts) == len(DOCUMENTS) + 1
    assert _rows(app) == []


def test_a_claim_left_by_a_drain_that_died_is_taken_again_once_its_lease_ends(
    app: Flask,
) -> None:
    _queue(app, [7, 8])
    with app.app_context():
        dead = outbox.claim("search", 1)  # then the worker died: never completed
        assert dead is not None and dead.document_ids == [7]
        assert indexing.drain() == 1  # document 8 only: 7 is still claimed
        assert {row.document_id for row in _rows(app)} == {7}
        db.session.execute(update(OutboxEntry).values(claimed_until=datetime(2000, 1, 1)))
        db.session.commit()  # the lease has ended
        assert indexing.drain() == 1
        outbox.queue("search", [7])  # a newer change, after the second push
        db.session.commit()
        outbox.complete(dead)  # the late worker deletes only rows it still holds: none
    assert [row.document_id for row in _rows(app)] == [7]


def test_the_lease_of_a_claim_lasts_what_edoc_outbox_lease_seconds_says(app: Flask) -> None:
    app.config["EDOC"] = replace(app.config["EDOC"], outbox_lease_seconds=3)
    _queue(app, [9])
    with app.app_context():
        dead = outbox.claim("search", 1)  # then the worker died: never completed
        assert dead is not None and dead.document_ids == [9]
        assert indexing.drain() == 0  # held
        wait_for("the three-second lease to end", lambda: indexing.drain() == 1, timeout=30)
    assert _rows(app) == []


class FailingIndex:
    """The app's real index whose pushes of one document fail with an error that is no
    SearchError (a bug in a field provider, a library's own exception)."""

    def __init__(self, real: SearchBackend, broken: int) -> None:
        self.real = real
        self.broken = broken

    def index(self, documents: Sequence[IndexDocument]) -> None:
        if any(d.id == str(self.broken) for d in documents):
            raise RuntimeError("field provider broke")
        self.real.index(documents)

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


def test_a_push_failing_with_an_unexpected_error_is_recorded_and_holds_up_nothing_else(
    app: Flask, client: FlaskClient, clerk: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexing, "BATCH", 1)
    broken, fine = (
        receive_incoming(client, clerk, text_pdf(f"Đê biển Cẩm Nhượng {n}"), subject=f"Đê {n}")
        for n in (1, 2)
    )
    with app.app_context():
        real = search_backend()
        app.extensions["edoc.search"] = FailingIndex(real, broken)
        outbox.queue("search", [broken, fine])
        db.session.commit()
        with pytest.raises(RuntimeError, match="field provider broke"):
            indexing.drain()
        assert indexing.drain() == 1  # the next drain passes the failed one by: it is held
        app.extensions["edoc.search"] = real
    (row,) = _rows(app)
    assert row.document_id == broken
    assert row.claimed_by is not None  # its lease is the back-off before the next try
    assert (row.attempts, row.last_error) == (1, "RuntimeError: field provider broke")
    with app.app_context():
        db.session.execute(update(OutboxEntry).values(claimed_until=datetime(2000, 1, 1)))
        db.session.commit()  # the lease has ended
        assert indexing.drain() == 1
    assert _rows(app) == []


def test_the_text_of_each_batch_is_scheduled_before_its_rows_are_deleted(
    app: Flask, client: FlaskClient, clerk: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed after one batch must not leave that batch's PDFs unread until the
    hourly check: their reading is asked for while the batch's rows still stand."""
    monkeypatch.setattr(indexing, "BATCH", 1)
    ids = [
        receive_incoming(client, clerk, text_pdf(f"Trạm bơm số {n} xã Cẩm Lạc"), subject=f"Đợt {n}")
        for n in (1, 2)
    ]
    with app.app_context():
        files = dict(
            db.session.execute(
                select(DocumentFile.sha256, DocumentFile.document_id).where(
                    DocumentFile.document_id.in_(ids)
                )
            ).all()
        )
        db.session.execute(delete(TextExtract).where(TextExtract.sha256.in_(files)))
        outbox.queue("search", ids)
        db.session.commit()
        seen: list[tuple[int, list[int]]] = []

        def schedule(sha256: str) -> None:
            waiting = db.session.scalars(select(OutboxEntry.document_id)).all()
            seen.append((files[sha256], sorted(waiting)))

        assert indexing.drain(schedule_extraction=schedule) == 2
    # the first document's text was asked for while both rows stood, the second's with its own
    assert seen == [(ids[0], ids), (ids[1], [ids[1]])]
    assert _rows(app) == []
