"""The export task retries what may pass (the blob store down) and not what will not (a refusal);
the job's status and progress say where it stands after each attempt.

Real Huey in immediate mode runs the task and its retries (``retry_delay=0`` so the retry runs
at once); the blob store is the app's real one, down for its first calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from huey import signals
from sqlalchemy import select

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.dossiers.tasks import RETRIES, export_task
from edoc.jobs import services as jobs
from edoc.jobs.models import Job
from edoc.jobs.queue import huey
from edoc.users.models import User
from storage import BlobStore, StorageUnavailable


class StoreDownFirst:
    """The real store, unreachable for its first ``outage`` reads."""

    def __init__(self, real: BlobStore, outage: int) -> None:
        self.real = real
        self.outage = outage
        self.refused = 0

    def open(self, sha256: str) -> Any:
        if self.refused < self.outage:
            self.refused += 1
            raise StorageUnavailable("S3 endpoint not answering")
        return self.real.open(sha256)

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


@pytest.fixture
def retried() -> Iterator[list[tuple[str, int, str]]]:
    """Each time Huey re-queues the export: the job's status, progress and message then."""
    seen: list[tuple[str, int, str]] = []

    def on_retry(signal: str, task: Any, *_args: Any) -> None:
        db.session.expire_all()  # immediate mode: the caller's app context is active
        job = db.session.get(Job, task.args[0])
        seen.append((job.status, job.done, job.message))

    huey.signal(signals.SIGNAL_RETRYING)(on_retry)
    yield seen
    huey.disconnect_signal(on_retry, signals.SIGNAL_RETRYING)


Exporter = Callable[[int], tuple[Job, StoreDownFirst]]


@pytest.fixture
def export(app: Flask, closed_dossier: int) -> Exporter:
    """Export ``closed_dossier`` for luutru with the store down for its first reads."""

    def run(outage: int) -> tuple[Job, StoreDownFirst]:
        with app.app_context():
            store = StoreDownFirst(blob_store(), outage)
        app.extensions["edoc.blobstore"] = store
        with app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.username == "luutru"))
            job = jobs.create_job("export", {"dossier_ids": [closed_dossier]}, user_id)
            db.session.commit()
            huey.enqueue(export_task.s(job.id, [closed_dossier], user_id, retry_delay=0))
            db.session.expire_all()
            finished = db.session.get(Job, job.id)
            db.session.expunge(finished)
            return finished, store

    return run


def test_a_store_outage_is_retried_and_the_job_finishes(
    export: Exporter, retried: list[tuple[str, int, str]]
) -> None:
    job, store = export(1)
    assert store.refused == 1
    [(status, done, message)] = retried
    assert status == "queued" and done == 0 and "sẽ thử lại" in message
    assert job.status == "done" and job.percent == 100
    assert job.done == job.total == 2  # the retry started over from 0, not from 2 + …
    assert Path(job.result["path"]).is_file()
    assert job.finished_at is not None


def test_an_outage_longer_than_the_retries_fails_the_job_with_its_reason(
    app: Flask, export: Exporter, retried: list[tuple[str, int, str]]
) -> None:
    job, store = export(100)
    assert store.refused == RETRIES + 1 and len(retried) == RETRIES
    assert job.status == "failed"
    assert "tạm thời không truy cập được" in job.message
    assert job.result is None
    exports = app.config["EDOC"].data_dir / "exports"
    assert not exports.exists() or list(exports.iterdir()) == []  # nothing half-written kept


def test_a_refusal_fails_the_job_at_once_without_retrying(
    app: Flask, export: Exporter, retried: list[tuple[str, int, str]]
) -> None:
    with app.app_context():
        archivist = db.session.scalar(select(User).where(User.username == "luutru"))
        archivist.active = False  # the account was closed after the job was asked for
        db.session.commit()
    job, store = export(0)
    assert retried == [] and store.refused == 0
    assert job.status == "failed"
    assert "Chỉ cán bộ lưu trữ được xuất gói lưu trữ." in job.message
