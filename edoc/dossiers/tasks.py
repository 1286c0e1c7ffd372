"""Export packages in the background, with progress the UI and CLI can show.

An attempt ends one of three ways. Done: the ZIP is in place and the job says so. Refused for
good (the archivist lost the role or clearance, a dossier is gone or still open, a file is
corrupt): the job fails with the reason and is not tried again, since nothing would change.
Failed for now (the blob store or the database did not answer): the job goes back to
"queued" with the reason, the exception reaches Huey and the task is retried after
``retry_delay``, starting over (a half-written package is removed first); after the last retry
the job fails with that reason.

A worker killed mid-export leaves the job ``running``; when its lease runs out the jobs area
queues the job again (:func:`edoc.jobs.services.requeue_expired`) and a new run starts over.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from huey.api import Task
from sqlalchemy.exc import InterfaceError, OperationalError

from edoc.core.errors import AppError, NotFound, ServiceUnavailable
from edoc.core.extensions import db
from edoc.documents.agency import agency_name
from edoc.dossiers.models import Dossier
from edoc.dossiers.package import export_dossiers
from edoc.dossiers.services import check_may_export
from edoc.jobs import services as jobs
from edoc.jobs.queue import huey
from edoc.jobs.runtime import app_context
from edoc.users.models import User
from storage import StorageUnavailable

#: Failures that may pass: the store or the database did not answer this time.
TRANSIENT = (ServiceUnavailable, StorageUnavailable, OperationalError, InterfaceError)
#: Attempts after the first, RETRY_DELAY seconds apart: an outage of the blob store or the
#: database up to about a minute (a restart, a failover) costs the archivist nothing.
RETRIES = 4
RETRY_DELAY = 15


class RetryExport(Exception):
    """Raised to Huey so it retries the attempt (the job already says it will)."""


def export_dir() -> Path:
    return current_app.config["EDOC"].data_dir / "exports"


def run_export(
    job_id: str,
    dossier_ids: list[int],
    user_id: int,
    *,
    retries_left: int = 0,
    attempt_of: str | None = None,
) -> None:
    """Build the package for ``user_id``, who asked for it: their role and clearance are checked
    again here, as they may have changed since the request was queued.

    Raises :class:`RetryExport` on a transient failure while ``retries_left``; every other
    outcome is written on the job. Does nothing when the job is not queued (done, or run by
    another worker). Safe to run again after a worker was killed mid-export: each run builds
    in a directory of its own and the package is put under the job's name whole, replacing
    any left by a run that died after that step. ``attempt_of``: the queued task's id, the
    same for each of its retries (see :func:`edoc.jobs.services.start`).
    """
    run = jobs.start(job_id, holder=attempt_of)
    if run is None:
        current_app.logger.info("export job %s is not queued: nothing to do", job_id)
        return
    work = export_dir() / f"{job_id}.{run.holder}"
    partial = export_dir() / f"{job_id}.{run.holder}.zip.partial"
    _clean(work, partial)  # an earlier attempt of this task may have left them
    try:
        result = _build(run, dossier_ids, user_id, work, partial)
    except jobs.LeaseLost:
        db.session.rollback()  # another run took the job over: it writes the result
        _clean(work, partial)
        current_app.logger.warning("export job %s: lease lost, stopped", job_id)
    except TRANSIENT as error:
        db.session.rollback()  # the attempt is over: its transaction may be broken
        _clean(work, partial)
        reason = error.message if isinstance(error, AppError) else str(error)
        current_app.logger.warning("export job %s failed for now: %s", job_id, reason)
        if retries_left:
            if jobs.retry_later(run, _("Lỗi tạm thời, sẽ thử lại: %(e)s", e=reason)):
                raise RetryExport(reason) from error
            return
        jobs.finish(run, error=_("Xuất gói thất bại: %(e)s", e=reason))
    except AppError as error:
        db.session.rollback()  # the attempt is over: nothing of it is kept
        _clean(work, partial)
        jobs.finish(run, error=_("Xuất gói thất bại: %(e)s", e=error.message))
    except Exception as error:  # a fault here will not pass by retrying: fail for good
        current_app.logger.exception("export job %s failed", job_id)
        db.session.rollback()  # the attempt is over: its transaction may be broken
        _clean(work, partial)
        jobs.finish(run, error=_("Xuất gói thất bại: %(e)s", e=str(error)))
    else:
        jobs.finish(run, result=result)


def _build(
    run: jobs.Run, dossier_ids: list[int], user_id: int, work: Path, partial: Path
) -> dict[str, object]:
    dossiers = [d for i in dossier_ids if (d := db.session.get(Dossier, i)) is not None]
    if len(dossiers) != len(dossier_ids):
        raise NotFound("dossier_not_found", _("Không tìm thấy hồ sơ."))
    check_may_export(dossiers, db.session.get(User, user_id))
    total = sum(len(d.entries) for d in dossiers)
    jobs.progress(run, done=0, total=total, message=_("Đang xuất hồ sơ"))
    _clean_earlier_runs(run)  # an attempt starts over: the package is rebuilt whole
    settings = current_app.config["EDOC"]
    bag = export_dossiers(
        dossiers,
        work / "goi-luu-tru",
        settings.organ_id,
        agency_name(),
        progress=lambda done, _total: jobs.progress(run, done=done),
    )
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as out:
        for path in sorted((work / "goi-luu-tru").rglob("*")):
            if path.is_file():
                out.write(path, path.relative_to(work))
    jobs.progress(run, done=total)  # still ours: a run that lost the job never puts its ZIP
    archive = export_dir() / f"{run.job_id}.zip"
    os.replace(partial, archive)  # only a complete ZIP ever carries the name served
    shutil.rmtree(work)
    return {"path": str(archive), "files": len(bag.payload), "bytes": bag.octets}


def _clean(work: Path, partial: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    partial.unlink(missing_ok=True)


def _clean_earlier_runs(run: jobs.Run) -> None:
    """Remove what runs of this job killed mid-way left (their directories and partial ZIPs;
    a finished ZIP stays until this run replaces it)."""
    folder = export_dir()
    if not folder.is_dir():
        return
    for left in folder.glob(f"{run.job_id}.*"):
        if left.name == f"{run.job_id}.zip" or left.name.startswith(f"{run.job_id}.{run.holder}"):
            continue
        if left.is_dir():
            shutil.rmtree(left, ignore_errors=True)
        else:
            left.unlink(missing_ok=True)


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY, context=True)
def export_task(job_id: str, dossier_ids: list[int], user_id: int, task: Task) -> None:
    with app_context():
        run_export(job_id, dossier_ids, user_id, retries_left=task.retries, attempt_of=task.id)
