"""A worker killed mid-job (SIGKILL, out of memory, machine restart) leaves its job ``running``
under a lease nobody renews. When the lease has run out the periodic check queues the job
again and a new run produces the result once; a run that only stalled and finds its job taken
stops without writing; a job that kills its worker every time fails after the cap.

The export is the real one, run by real Huey in immediate mode, on the app's real blob store.
The store is wrapped to end the run at a chosen read the way a kill does: an exception no
``except Exception`` in edoc or Huey catches, so nothing after it runs (no cleanup, no result).
A lease "runs out" by moving its expiry into the past (what time passing does), so no test
waits for the clock.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.core.leases import wall_clock
from edoc.dossiers.tasks import export_dir, export_task
from edoc.jobs import services as jobs
from edoc.jobs.models import Job
from edoc.jobs.tasks import requeue_lost_jobs
from edoc.users.models import User
from storage import BlobStore


class WorkerKilled(BaseException):
    """The process ended here: nothing below this point of the run happens."""


class Reads:
    """The app's real store; ``on_read(n)`` runs before the n-th read (counting from 1)."""

    def __init__(self, real: BlobStore, on_read: Callable[[int], None]) -> None:
        self.real = real
        self.on_read = on_read
        self.count = 0

    def open(self, sha256: str) -> Any:
        self.count += 1
        self.on_read(self.count)
        return self.real.open(sha256)

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.rollback()


def _wrap_store(app: Flask, on_read: Callable[[int], None]) -> Reads:
    store = Reads(blob_store(), on_read)
    app.extensions["edoc.blobstore"] = store
    return store


def _new_export(dossier_id: int) -> tuple[str, int]:
    user_id = db.session.scalar(select(User.id).where(User.username == "luutru"))
    job = jobs.create_job("export", {"dossier_ids": [dossier_id]}, user_id)
    db.session.commit()  # as the page does before queueing the task
    return job.id, user_id


def _lease_runs_out(job_id: str) -> None:
    past = wall_clock() - timedelta(seconds=1)
    db.session.execute(update(Job).where(Job.id == job_id).values(claimed_until=past))
    db.session.commit()


def _job(job_id: str) -> Job:
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job is not None
    return job


def _files_of(job_id: str) -> list[str]:
    return sorted(p.name for p in export_dir().iterdir() if p.name.startswith(job_id))


def test_an_export_whose_worker_was_killed_is_queued_again_and_finishes_once(
    app: Flask, ctx: None, closed_dossier: int
) -> None:
    def kill_at_second_read(n: int) -> None:
        if n == 2:  # the first document is in the package, the second not yet
            raise WorkerKilled

    store = _wrap_store(app, kill_at_second_read)
    job_id, user_id = _new_export(closed_dossier)
    with pytest.raises(WorkerKilled):
        export_task(job_id, [closed_dossier], user_id)
    db.session.rollback()  # the dead process's transaction went with it

    killed = _job(job_id)
    assert (killed.status, killed.done, killed.total) == ("running", 1, 2)
    assert killed.claimed_by is not None and killed.attempts == 0
    assert _files_of(job_id) == [f"{job_id}.{killed.claimed_by}"]  # its half-built package

    assert requeue_lost_jobs() == []  # the lease still holds: the worker may be alive
    assert _job(job_id).status == "running"

    _lease_runs_out(job_id)
    assert requeue_lost_jobs() == [job_id]  # queued again; immediate mode ran it at once
    done = _job(job_id)
    assert done.status == "done" and done.attempts == 1
    assert (done.done, done.total) == (2, 2)  # the new run started over from 0, not 1 + 2
    assert done.claimed_by is None and done.finished_at is not None
    package = Path(done.result["path"])
    assert package == export_dir() / f"{job_id}.zip"
    assert _files_of(job_id) == [package.name]  # the killed run's leftovers are gone
    with zipfile.ZipFile(package) as archive:
        assert archive.testzip() is None
        files = [n for n in archive.namelist() if "/tep/" in n]
        assert len(files) == len(set(files)) == 2  # both documents' files, each once
    assert store.count == 4  # 2 reads by the killed run, 2 by the one that finished

    finished_at, written = done.finished_at, package.stat().st_mtime_ns
    export_task(job_id, [closed_dossier], user_id)  # a second task for the job: nothing runs
    assert store.count == 4
    assert _job(job_id).finished_at == finished_at and package.stat().st_mtime_ns == written
    assert requeue_lost_jobs() == []


def test_a_run_that_lost_its_lease_stops_without_writing(
    app: Flask, ctx: None, closed_dossier: int
) -> None:
    """The first run stalls at its second read (a long pause, a frozen VM) until its lease runs
    out; the periodic check hands the job to a second run, which finishes it. The first then
    goes on: its next progress report finds the job taken, and it stops."""
    job_id = ""
    after_takeover: dict[str, Any] = {}

    def stall_then_resume(n: int) -> None:
        if n != 2:
            return
        after_takeover["first"] = jobs.Run(job_id, _job(job_id).claimed_by)
        _lease_runs_out(job_id)
        assert requeue_lost_jobs() == [job_id]  # the second run: reads 3 and 4, finishes
        taken = _job(job_id)
        after_takeover.update(
            status=taken.status,
            finished_at=taken.finished_at,
            result=taken.result,
            written=Path(taken.result["path"]).stat().st_mtime_ns,
        )

    store = _wrap_store(app, stall_then_resume)
    job_id, user_id = _new_export(closed_dossier)
    export_task(job_id, [closed_dossier], user_id)  # the first run, stalled at read 2
    assert store.count == 4
    assert after_takeover["status"] == "done"

    job = _job(job_id)  # exactly what the second run wrote
    assert job.status == "done" and job.attempts == 1
    assert job.finished_at == after_takeover["finished_at"]
    assert job.result == after_takeover["result"]
    package = Path(job.result["path"])
    assert package.stat().st_mtime_ns == after_takeover["written"]  # not replaced by the first
    assert _files_of(job_id) == [package.name]  # the first run removed its own work

    first = after_takeover["first"]
    with pytest.raises(jobs.LeaseLost):  # what the first run met, said directly
        jobs.progress(first, done=2)
    assert jobs.finish(first, error="written by a run that lost its job") is False
    assert jobs.retry_later(first, "nor this") is False
    assert _job(job_id).message != "nor this" and _job(job_id).status == "done"


def test_a_job_whose_worker_dies_every_time_fails_after_the_cap(
    app: Flask, ctx: None, closed_dossier: int
) -> None:
    def kill_at_first_read(_n: int) -> None:
        raise WorkerKilled

    store = _wrap_store(app, kill_at_first_read)
    job_id, user_id = _new_export(closed_dossier)
    cap = app.config["EDOC"].job_max_lost_runs
    with pytest.raises(WorkerKilled):
        export_task(job_id, [closed_dossier], user_id)
    for lost in range(1, cap):
        db.session.rollback()
        _lease_runs_out(job_id)
        with pytest.raises(WorkerKilled):
            requeue_lost_jobs()  # queued again, and that run is killed too
        db.session.rollback()
        assert _job(job_id).attempts == lost
    _lease_runs_out(job_id)
    assert requeue_lost_jobs() == []  # not again
    assert store.count == cap

    failed = _job(job_id)
    assert failed.status == "failed" and failed.attempts == cap
    assert failed.message == (
        f"Tác vụ đã bị dừng đột ngột {cap} lần (tiến trình chạy nền bị tắt hoặc hết bộ nhớ) nên "
        "không chạy lại nữa. Hãy báo quản trị viên kiểm tra máy chủ rồi yêu cầu lại."
    )
    assert failed.result is None and failed.finished_at is not None
    assert failed.claimed_by is None
    assert requeue_lost_jobs() == [] and _job(job_id).status == "failed"


def test_a_retry_of_the_same_task_takes_over_a_job_its_attempt_left_running(
    app: Flask, ctx: None
) -> None:
    """An attempt that failed while the database was down could not write "queued" back: its
    retry (same task id) takes the job over at once; any other task still finds it taken."""
    job = jobs.create_job("export", {"dossier_ids": []}, None)
    db.session.commit()
    first = jobs.start(job.id, holder="task-1")
    assert first is not None and first.holder == "task-1"
    assert jobs.start(job.id, holder="task-2") is None
    assert jobs.start(job.id) is None
    again = jobs.start(job.id, holder="task-1")
    assert again == first
    assert jobs.finish(again, result={"path": "x"})
    assert jobs.start(job.id, holder="task-1") is None  # done: not run again
    assert db.session.get(Job, job.id).status == "done"  # type: ignore[union-attr]
