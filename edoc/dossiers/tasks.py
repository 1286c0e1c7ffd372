"""Export packages in the background, with progress the UI and CLI can show."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from flask import current_app

from edoc.extensions import db
from edoc.jobs import services as jobs
from edoc.jobs.queue import huey
from edoc.jobs.runtime import app_context


def export_dir() -> Path:
    return current_app.config["EDOC"].data_dir / "exports"


def run_export(job_id: str, dossier_ids: list[int]) -> None:
    from edoc.dossiers.models import Dossier
    from edoc.dossiers.package import export_dossiers
    from edoc.outgoing.services import agency_name

    settings = current_app.config["EDOC"]
    target = export_dir() / job_id
    try:
        dossiers = [db.session.get(Dossier, i) for i in dossier_ids]
        total = sum(len(d.entries) for d in dossiers)
        jobs.progress(job_id, done=0, total=total, message="Đang xuất hồ sơ")
        if target.exists():  # a retried job starts over: the package is rebuilt whole
            shutil.rmtree(target)
        bag = export_dossiers(
            dossiers,
            target / "goi-luu-tru",
            settings.organ_id,
            agency_name(),
            progress=lambda done, _total: jobs.progress(job_id, done=done),
        )
        archive = target.with_suffix(".zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED, allowZip64=True) as out:
            for path in sorted((target / "goi-luu-tru").rglob("*")):
                if path.is_file():
                    out.write(path, path.relative_to(target))
        shutil.rmtree(target)
        jobs.finish(
            job_id, result={"path": str(archive), "files": len(bag.payload), "bytes": bag.octets}
        )
    except Exception as error:
        current_app.logger.exception("export job %s failed", job_id)
        jobs.finish(job_id, error=f"Xuất gói thất bại: {error}")


@huey.task(retries=2, retry_delay=10)
def export_task(job_id: str, dossier_ids: list[int]) -> None:
    with app_context():
        run_export(job_id, dossier_ids)
