"""The admin page's dry run and import, as a background job with progress."""

from __future__ import annotations

from flask import current_app

from edoc.audit.services import Operator
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.jobs import services as jobs
from edoc.jobs.queue import huey
from edoc.jobs.runtime import app_context
from edoc.legacy.reading import read_register
from edoc.legacy.services import report_dir, run_import
from edoc.legacy.uploads import load_upload
from edoc.users.models import User


def count_rows(upload_id: str) -> int:
    """Rows to go through (a quick streaming pass), so the page can show a percentage."""
    upload = load_upload(current_app.config["EDOC"].data_dir, upload_id)
    return sum(sum(1 for _row in read_register(path).rows()) for path in upload.registers)


@huey.task(context=False)
def legacy_import_task(job_id: str, upload_id: str, dry_run: bool, user_id: int) -> None:
    with app_context() as app:
        data_dir = app.config["EDOC"].data_dir
        try:
            upload = load_upload(data_dir, upload_id)
            admin = db.session.get(User, user_id)
            total = count_rows(upload_id)
            jobs.progress(job_id, done=0, total=total, message="")
            actor = Operator.task("legacy import", on_behalf_of=admin)
            report = run_import(
                upload.registers,
                upload.files_dir,
                actor,
                dry_run=dry_run,
                progress=lambda done, _source: jobs.progress(job_id, done=done),
            )
            json_path, text_path = report.save(report_dir(data_dir))
        except AppError as error:
            db.session.rollback()
            jobs.finish(job_id, error=error.message)
            return
        jobs.finish(
            job_id,
            {
                "report_json": str(json_path),
                "report_text": str(text_path),
                "imported": report.imported,
                "ready": report.ready,
                "problems": len(report.problems),
                "dry_run": dry_run,
                "upload_id": upload_id,
            },
        )
