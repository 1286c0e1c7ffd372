"""Creating jobs, reporting their progress, and handing over the files they produce."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

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


def _update(job_id: str, **values: Any) -> None:
    db.session.execute(update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()  # written while the job runs: the UI and the CLI read it meanwhile


def progress(job_id: str, *, done: int, total: int | None = None, message: str = "") -> None:
    """The job runs and has done ``done`` of ``total`` steps (committed at once)."""
    values: dict[str, Any] = {"done": done, "status": "running"}
    if total is not None:
        values["total"] = total
    if message:
        values["message"] = message
    _update(job_id, **values)


def retry_later(job_id: str, reason: str) -> None:
    """A transient failure: the job waits for its next attempt, which starts over from 0."""
    _update(job_id, status="queued", done=0, message=reason)


def finish(job_id: str, result: dict[str, Any] | None = None, error: str = "") -> None:
    """The job is over: done with ``result``, or failed with ``error`` (for good)."""
    values: dict[str, Any] = {"finished_at": utcnow(), "status": "failed" if error else "done"}
    if result is not None:
        values["result"] = result
    if error:
        values["message"] = error
    _update(job_id, **values)


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
