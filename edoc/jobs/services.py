"""Creating jobs, reporting their progress, and handing over the files they produce."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update

from edoc.core import leases
from edoc.core.clock import utcnow
from edoc.core.errors import Conflict, NotFound
from edoc.core.extensions import db
from edoc.jobs.models import Job
from edoc.users.models import User

#: Raises (Forbidden, NotFound …) when the user may not take the job's file any more.
DownloadCheck = Callable[[Job, User], None]
#: Queues the task that runs a job of its kind again (after the queue lost it).
JobRunner = Callable[[Job], None]

_download_checks: dict[str, DownloadCheck] = {}
_runners: dict[str, JobRunner] = {}


def create_job(kind: str, params: dict[str, Any], user_id: int | None) -> Job:
    """A queued job (flushed: the caller commits it before enqueueing the task that runs it)."""
    job = Job(kind=kind, params=params, created_by_id=user_id)
    db.session.add(job)
    db.session.flush()
    return job


def get_job(job_id: str, user_id: int | None = None) -> Job:
    """A job by id; given a user, only a job that user started (jobs of commands have none)."""
    job = db.session.get(Job, job_id)
    if job is None or (user_id is not None and job.created_by_id != user_id):
        raise NotFound("job_not_found", _("Không tìm thấy tác vụ."))
    return job


def register_download_check(kind: str, check: DownloadCheck) -> None:
    """The area whose jobs produce a file says who may still take it (a clearance or role can
    be withdrawn after the job was started); files of kinds with no check are never served."""
    _download_checks[kind] = check


def download_path(job_id: str, user: User) -> Path:
    """The file a finished job of ``user`` produced, after its area's check."""
    job = get_job(job_id, user.id)
    check = _download_checks.get(job.kind)
    if check is None:
        raise NotFound("job_not_found", _("Không tìm thấy tác vụ."))
    if job.status != "done" or not job.result or "path" not in job.result:
        raise Conflict("job_not_done", _("Tác vụ chưa hoàn thành."))
    check(job, user)
    return Path(job.result["path"])


#: Claims of jobs are serialised under this name (:func:`edoc.core.leases.serialise_claims`).
QUEUE = "edoc.jobs"


class LeaseLost(Exception):
    """This worker's lease on the job ran out and the job was queued again or taken by another
    worker: this run stops and writes nothing more (the other run produces the result)."""


@dataclass(frozen=True)
class Run:
    """One worker's run of a job: the job, and the holder id its lease is stamped with."""

    job_id: str
    holder: str


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["EDOC"].job_lease_seconds)


def start(job_id: str, holder: str | None = None) -> Run | None:
    """Take a queued job to run it now: it becomes ``running`` under a lease held by this run.

    None when the job is not to be run by this task: done or failed already, or running under
    another worker's lease (a second task for one job: only one of them runs it). Commits: the
    lease is visible to every other worker and to the periodic check before the work starts.

    ``holder``: the same for every attempt of one queued task (its id), so that an attempt
    whose predecessor could not even write its failure down (the database was down too)
    takes the job over from it at once instead of waiting for the lease to run out.
    """
    leases.serialise_claims(QUEUE)
    now = leases.wall_clock()
    holder = holder or leases.new_holder()
    taken = db.session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(Job.status == "queued", and_(Job.status == "running", Job.claimed_by == holder)),
        )
        .values(status="running", claimed_by=holder, claimed_until=now + _lease(), message="")
    ).rowcount
    db.session.commit()  # the claim is over: every other worker sees the lease
    return Run(job_id, holder) if taken else None


def _write(run: Run, **values: Any) -> bool:
    """Write on the job if this run still holds it; commits (the UI and the CLI read it)."""
    written = db.session.execute(
        update(Job)
        .where(Job.id == run.job_id, Job.claimed_by == run.holder, Job.status == "running")
        .values(**values)
    ).rowcount
    db.session.commit()  # written while the job runs: the UI and the CLI read it meanwhile
    return bool(written)


def progress(run: Run, *, done: int, total: int | None = None, message: str = "") -> None:
    """The job has done ``done`` of ``total`` steps (committed at once); renews the lease.

    Raises :class:`LeaseLost` when the lease ran out and the job was queued again: the caller
    stops without writing its result (call it before every slow step and before the result
    is put in place, so a run that lost its job never overwrites the other run's work)."""
    values: dict[str, Any] = {"done": done, "claimed_until": leases.wall_clock() + _lease()}
    if total is not None:
        values["total"] = total
    if message:
        values["message"] = message
    if not _write(run, **values):
        raise LeaseLost(run.job_id)


def renew(run: Run) -> None:
    """Keep the lease through a slow step that reports no progress (a file being checked);
    :class:`LeaseLost` as in :func:`progress`. Commits: call it with no transaction open."""
    if not _write(run, claimed_until=leases.wall_clock() + _lease()):
        raise LeaseLost(run.job_id)


def retry_later(run: Run, reason: str) -> bool:
    """A transient failure: the job waits for its next attempt, which starts over from 0.
    False when this run had lost the job already (then it must not be retried by this run)."""
    return _write(run, status="queued", done=0, message=reason, claimed_by=None, claimed_until=None)


def finish(run: Run, result: dict[str, Any] | None = None, error: str = "") -> bool:
    """The job is over: done with ``result``, or failed with ``error`` (for good). False, and
    nothing written, when this run had lost the job (the run that took it over finishes it)."""
    values: dict[str, Any] = {
        "finished_at": utcnow(),
        "status": "failed" if error else "done",
        "claimed_by": None,
        "claimed_until": None,
    }
    if result is not None:
        values["result"] = result
    if error:
        values["message"] = error
    return _write(run, **values)


def register_job_runner(kind: str, runner: JobRunner) -> None:
    """The area whose jobs these are says how to queue one again from its row (its ``params``):
    the job table, not the queue, is the record of work asked for."""
    _runners[kind] = runner


def requeue_lost(in_queue: set[str], suspected: set[str]) -> tuple[list[str], set[str]]:
    """Queue again the jobs the queue has lost (Redis restarted without its data, flushed).

    A job is lost when it is ``queued`` in the database and no task for it waits in the queue
    (``in_queue``: the job ids the queue's waiting and scheduled tasks carry). A task taken by
    a worker an instant ago may not have said ``running`` yet, so a job is only queued again
    when it was found lost by the previous check too (``suspected``). Returns the jobs queued
    again and the ones to check next time.
    """
    waiting = db.session.scalars(
        select(Job).where(Job.status == "queued", Job.kind.in_(list(_runners)))
    ).all()
    lost = {job.id for job in waiting if job.id not in in_queue}
    requeued = []
    for job in waiting:
        if job.id in lost and job.id in suspected:
            _runners[job.kind](job)
            requeued.append(job.id)
    db.session.rollback()  # read only
    return requeued, lost - set(requeued)


def requeue_expired() -> tuple[list[str], list[str]]:
    """Queue again the running jobs whose worker is gone: their lease ran out (the worker was
    killed, ran out of memory, or its machine restarted), so nothing will finish them.

    Each such run counts as lost (``attempts``); after ``EDOC_JOB_MAX_LOST_RUNS`` of them, or
    for a kind no area can run again, the job fails with a message saying so instead: a job
    that kills its worker every time must not kill workers forever. Runs again from the start
    through its area's runner (every runner produces its result once however often it is
    started). A worker that only stalled and comes back finds its lease gone at its next
    progress report and stops (:class:`LeaseLost`). Returns the jobs queued again and failed.
    """
    leases.serialise_claims(QUEUE)
    now = leases.wall_clock()
    expired = db.session.scalars(
        select(Job)
        .where(Job.status == "running", leases.free(Job, now))
        .order_by(Job.created_at)
        .with_for_update()  # PostgreSQL re-checks the lease of a row renewed meanwhile
    ).all()
    max_lost = current_app.config["EDOC"].job_max_lost_runs
    again: list[Job] = []
    failed: list[str] = []
    for job in expired:
        job.attempts += 1
        job.last_error = f"lease of {job.claimed_by} ran out at {job.claimed_until} (lost run)"
        job.claimed_by = None
        job.claimed_until = None
        if job.attempts >= max_lost or job.kind not in _runners:
            job.status = "failed"
            job.finished_at = utcnow()
            job.message = _(
                "Tác vụ đã bị dừng đột ngột %(n)d lần (tiến trình chạy nền bị tắt hoặc hết bộ "
                "nhớ) nên không chạy lại nữa. Hãy báo quản trị viên kiểm tra máy chủ rồi yêu "
                "cầu lại.",
                n=job.attempts,
            )
            failed.append(job.id)
        else:
            job.status = "queued"
            job.done = 0
            job.message = _("Tiến trình chạy nền bị dừng giữa chừng; tác vụ được chạy lại từ đầu.")
            again.append(job)
    db.session.commit()  # queued before its task is: a task finding it still running would skip
    requeued = []
    for job in again:
        _runners[job.kind](job)
        requeued.append(job.id)
    return requeued, failed
