"""Creating jobs, reporting their progress, and the outbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from edoc.core.clock import utcnow
from edoc.core.errors import Conflict, NotFound
from edoc.core.extensions import db
from edoc.jobs.models import Job, OutboxEntry
from edoc.users.models import User

#: Raises (Forbidden, NotFound …) when the user may not take the job's file any more.
DownloadCheck = Callable[[Job, User], None]

_download_checks: dict[str, DownloadCheck] = {}


def create_job(kind: str, params: dict[str, Any], user_id: int | None) -> Job:
    job = Job(kind=kind, params=params, created_by_id=user_id)
    db.session.add(job)
    db.session.commit()
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


def progress(job_id: str, *, done: int, total: int | None = None, message: str = "") -> None:
    values: dict[str, Any] = {"done": done, "status": "running"}
    if total is not None:
        values["total"] = total
    if message:
        values["message"] = message
    db.session.execute(update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()


def finish(job_id: str, result: dict[str, Any] | None = None, error: str = "") -> None:
    db.session.rollback()
    values: dict[str, Any] = {"finished_at": utcnow(), "status": "failed" if error else "done"}
    if result is not None:
        values["result"] = result
    if error:
        values["message"] = error
    db.session.execute(update(Job).where(Job.id == job_id).values(**values))
    db.session.commit()


def enqueue_outbox(topic: str, document_id: int) -> None:
    """Called inside the caller's transaction, next to the change it describes."""
    db.session.add(OutboxEntry(topic=topic, document_id=document_id))


def pending_outbox(topic: str, limit: int) -> list[OutboxEntry]:
    return list(
        db.session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.topic == topic)
            .order_by(OutboxEntry.id)
            .limit(limit)
        )
    )
