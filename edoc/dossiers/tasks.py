"""Export packages in the background, with progress the UI and CLI can show."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.dossiers.models import Dossier
from edoc.dossiers.package import export_dossiers
from edoc.dossiers.services import check_may_export, get
from edoc.jobs import services as jobs
from edoc.jobs.models import Job
from edoc.jobs.queue import huey
from edoc.jobs.runtime import app_context
from edoc.outgoing.services import agency_name
from edoc.users.models import User


def export_dir() -> Path:
    return current_app.config["EDOC"].data_dir / "exports"


def run_export(job_id: str, dossier_ids: list[int], user_id: int) -> None:
    """Build the package for ``user_id``, who asked for it: their role and clearance are checked
    again here, as they may have changed since the request was queued."""
    settings = current_app.config["EDOC"]
    target = export_dir() / job_id
    archive = target.with_suffix(".zip")
    partial = target.with_suffix(".zip.partial")
    try:
        dossiers = [d for i in dossier_ids if (d := db.session.get(Dossier, i)) is not None]
        if len(dossiers) != len(dossier_ids):
            raise AppError("dossier_not_found", _("Không tìm thấy hồ sơ."), 404)
        check_may_export(dossiers, db.session.get(User, user_id))
        total = sum(len(d.entries) for d in dossiers)
        jobs.progress(job_id, done=0, total=total, message=_("Đang xuất hồ sơ"))
        if target.exists():  # a retried job starts over: the package is rebuilt whole
            shutil.rmtree(target)
        bag = export_dossiers(
            dossiers,
            target / "goi-luu-tru",
            settings.organ_id,
            agency_name(),
            progress=lambda done, _total: jobs.progress(job_id, done=done),
        )
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as out:
            for path in sorted((target / "goi-luu-tru").rglob("*")):
                if path.is_file():
                    out.write(path, path.relative_to(target))
        os.replace(partial, archive)  # only a complete ZIP ever carries the name served
        shutil.rmtree(target)
        jobs.finish(
            job_id, result={"path": str(archive), "files": len(bag.payload), "bytes": bag.octets}
        )
    except AppError as error:
        _clean(target, partial)
        jobs.finish(job_id, error=_("Xuất gói thất bại: %(e)s", e=error.message))
    except Exception as error:
        current_app.logger.exception("export job %s failed", job_id)
        _clean(target, partial)
        jobs.finish(job_id, error=_("Xuất gói thất bại: %(e)s", e=str(error)))


def _clean(target: Path, partial: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    partial.unlink(missing_ok=True)


@huey.task(retries=2, retry_delay=10)
def export_task(job_id: str, dossier_ids: list[int], user_id: int) -> None:
    with app_context():
        run_export(job_id, dossier_ids, user_id)


def _check_export_download(job: Job, user: User) -> None:
    check_may_export([get(i) for i in job.params["dossier_ids"]], user)


jobs.register_download_check("export", _check_export_download)
