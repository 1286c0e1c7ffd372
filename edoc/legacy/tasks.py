"""The admin page's dry run and import, as a background job with progress.

Safe to run again from the start after the worker was killed mid-import (the jobs area queues
the job again when its lease runs out): the import reads its ledger first, so rows a killed
run committed are skipped and nothing is imported twice; the report is saved under the job's
name, so a second run replaces the first's instead of adding one.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from edoc.audit.services import Operator
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.jobs import services as jobs
from edoc.jobs.models import Job
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
        run = jobs.start(job_id)
        if run is None:  # done already, or another worker runs it
            return
        data_dir = app.config["EDOC"].data_dir
        try:
            upload = load_upload(data_dir, upload_id)
            admin = db.session.get(User, user_id)
            total = count_rows(upload_id)
            jobs.progress(run, done=0, total=total, message="")
            actor = Operator.task("legacy import", on_behalf_of=admin)
            report = run_import(
                upload.registers,
                upload.files_dir,
                actor,
                dry_run=dry_run,
                progress=lambda done, _source: jobs.progress(run, done=done),
                heartbeat=lambda: jobs.renew(run),
            )
            jobs.progress(run, done=total)  # still ours: a run that lost the job saves nothing
            json_path, text_path = report.save(report_dir(data_dir), name=f"job-{job_id}")
        except jobs.LeaseLost:
            db.session.rollback()  # another run took the job over: it reports
            app.logger.warning("legacy import job %s: lease lost, stopped", job_id)
            return
        except AppError as error:
            db.session.rollback()
            jobs.finish(run, error=error.message)
            return
        except Exception as error:  # a fault that another run would meet again: fail for good
            app.logger.exception("legacy import job %s failed", job_id)
            db.session.rollback()
            jobs.finish(run, error=_("Nhập dữ liệu cũ thất bại: %(e)s", e=str(error)))
            return
        jobs.finish(
            run,
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


def run_again(job: Job) -> None:
    """Queue a legacy job's task again from its row (the queue lost it, or its worker died)."""
    legacy_import_task(job.id, job.params["upload_id"], job.params["dry_run"], job.created_by_id)
