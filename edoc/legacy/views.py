"""The admin's page for moving from another system: upload, confirm the guessed columns, dry
run, then import, each run a background job whose progress the page shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from edoc.audit.services import record
from edoc.core.auth import Role, roles_required
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.jobs import services as jobs
from edoc.legacy.reading import RegisterError, read_register
from edoc.legacy.tasks import legacy_import_task, run_again
from edoc.legacy.uploads import inbox_root, load_upload, save_upload

bp = Blueprint("legacy", __name__, url_prefix="/admin/legacy")


def _data_dir() -> Path:
    return current_app.config["EDOC"].data_dir  # type: ignore[no-any-return]


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def upload_page() -> Any:
    """Upload registers and files (a ZIP, or a folder under the server's legacy inbox)."""
    if request.method == "POST":
        try:
            upload = save_upload(
                _data_dir(),
                request.files.getlist("registers"),
                request.files.get("archive"),
                request.form.get("server_folder", ""),
            )
        except AppError as error:
            flash(error.message, "error")
            return render_template("legacy/upload.html", inbox=inbox_root(_data_dir())), 422
        record(
            "legacy.uploaded",
            actor=current_user._get_current_object(),
            object_type="legacy_upload",
            object_id=upload.id,
            registers=[p.name for p in upload.registers],
        )
        db.session.commit()
        return redirect(url_for("legacy.confirm_page", upload_id=upload.id))
    return render_template("legacy/upload.html", inbox=inbox_root(_data_dir()))


@bp.route("/<upload_id>")
@roles_required(Role.ADMIN)
def confirm_page(upload_id: str) -> Any:
    """The columns edoc guessed for each register, to confirm before the dry run and import."""
    upload = load_upload(_data_dir(), upload_id)
    registers = []
    for path in upload.registers:
        try:
            reader = read_register(path)
        except RegisterError as error:
            registers.append({"name": path.name, "error": str(error)})
            continue
        registers.append(
            {
                "name": path.name,
                "direction": reader.mapping.direction,
                "encoding": reader.encoding,
                "header_rows": reader.mapping.header_rows,
                "mapping": reader.mapping.describe(),
            }
        )
    return render_template("legacy/confirm.html", upload=upload, registers=registers)


@bp.route("/<upload_id>/run", methods=["POST"])
@roles_required(Role.ADMIN)
def run(upload_id: str) -> Any:
    """Start the dry run, or (after confirming the columns) the import, in the background."""
    upload = load_upload(_data_dir(), upload_id)
    dry_run = request.form.get("mode") != "import"
    if not dry_run and request.form.get("mapping_confirmed") != "yes":
        flash(_("Hãy xác nhận cách ghép cột trước khi nhập."), "error")
        return redirect(url_for("legacy.confirm_page", upload_id=upload_id))
    me = current_user._get_current_object()
    job = jobs.create_job("legacy", {"upload_id": upload.id, "dry_run": dry_run}, me.id)
    record(
        "legacy.dry_run_started" if dry_run else "legacy.import_started",
        actor=me,
        object_type="job",
        object_id=job.id,
        upload_id=upload.id,
    )
    db.session.commit()  # the worker reads the job: it must exist before the task is queued
    legacy_import_task(job.id, upload.id, dry_run, me.id)
    return redirect(url_for("legacy.job_page", job_id=job.id))


@bp.route("/jobs/<job_id>")
@roles_required(Role.ADMIN)
def job_page(job_id: str) -> Any:
    job = jobs.get_job(job_id, current_user.id)
    if job.kind != "legacy":
        abort(404)
    report = ""
    if job.status == "done" and job.result:
        report = Path(job.result["report_text"]).read_text(encoding="utf-8")
    return render_template("legacy/job.html", job=job, report=report)


def init_legacy(app: Flask) -> None:
    """Wire the area into the jobs area: how to run an import job again from its row (the
    queue lost it, or the worker running it died)."""
    jobs.register_job_runner("legacy", run_again)
