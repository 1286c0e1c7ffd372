"""Dossiers in the browser: the yearly list, a dossier, filing, closing, export, transfer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from edoc.audit.services import record, record_security_event
from edoc.core.auth import login_required, roles_required
from edoc.core.clock import to_local, utcnow
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.core.params import YearArgs, form_ids, form_int, load_query
from edoc.documents.access import can_see
from edoc.dossiers import services
from edoc.dossiers.models import Dossier, DossierStatus
from edoc.dossiers.tasks import export_task
from edoc.jobs import services as jobs
from edoc.search.services import SearchParams, search_documents
from edoc.users.models import Role, User

bp = Blueprint("dossiers", __name__, url_prefix="/dossiers")
FILERS = services.FILERS


def _this_year() -> int:
    return to_local(utcnow()).year


def _try(action: Any, success: str) -> bool:
    try:
        action()
    except AppError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    flash(success, "success")
    return True


@bp.route("/", methods=["GET", "POST"])
@login_required
def dossier_list() -> Any:
    year = load_query(YearArgs(), request.args)["year"] or _this_year()
    if request.method == "POST":
        if not current_user.has_role(Role.ARCHIVIST):
            return redirect(url_for("dossiers.dossier_list"))
        form = request.form
        retention = form.get("retention_years", "").strip()
        _try(
            lambda: services.create(
                services.DossierFields(
                    year=year,
                    code=form.get("code", ""),
                    title=form.get("title", ""),
                    retention_years=form_int(retention),
                    keeper_id=form.get("keeper_id", type=int) or None,
                ),
                current_user,
            ),
            _("Đã thêm hồ sơ vào danh mục."),
        )
        return redirect(url_for("dossiers.dossier_list", year=year))
    dossiers = db.session.scalars(
        select(Dossier).where(Dossier.year == year).order_by(Dossier.code)
    ).all()
    archivists = [
        u
        for u in db.session.scalars(select(User).order_by(User.full_name))
        if u.has_role(Role.ARCHIVIST)
    ]
    return render_template(
        "dossiers/list.html",
        dossiers=dossiers,
        counts=services.visible_counts([d.id for d in dossiers], current_user),
        year=year,
        keepers=archivists,
        due=services.due_for_transfer(_this_year()),
        appraisal=services.due_for_appraisal(to_local(utcnow()).date()),
    )


@bp.route("/copy", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_copy() -> Any:
    year = load_query(YearArgs(), request.form)["year"] or _this_year()
    count = services.copy_list(year - 1, year, current_user)
    flash(_("Đã sao chép %(n)s hồ sơ từ danh mục năm trước.", n=count), "success")
    return redirect(url_for("dossiers.dossier_list", year=year))


@bp.route("/<int:dossier_id>")
@login_required
def dossier_detail(dossier_id: int) -> Any:
    dossier = services.get(dossier_id)
    q = request.args.get("q", "")
    candidates: list[Any] = []
    if q and dossier.status == DossierStatus.OPEN:
        found = search_documents(current_user, SearchParams(q=q, per_page=50, facets=()))
        filed = {e.document_id for e in dossier.entries}
        candidates = [row.document for row in found.rows if row.document.id not in filed]
    visible = [e for e in dossier.entries if can_see(current_user, e.document)]
    return render_template(
        "dossiers/detail.html",
        dossier=dossier,
        entries=visible,
        all_visible=len(visible) == len(dossier.entries),
        candidates=candidates,
        q=q,
        Status=DossierStatus,
    )


def _safe_next(value: str | None) -> str | None:
    """A local path to come back to: relative, starting with one "/", nothing a browser could
    read as another host (no "//", no backslash, no control characters)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return None
    return value


@bp.route("/documents", methods=["POST"])
@bp.route("/<int:dossier_id>/documents", methods=["POST"])
@roles_required(*FILERS)
def dossier_add(dossier_id: int | None = None) -> Any:
    """File documents into a dossier: in bulk from the dossier page (the dossier in the path), or
    one document from its own page (the dossier chosen in the form, ``next`` back to the page)."""
    dossier_id = dossier_id or request.form.get("dossier_id", type=int)
    back = _safe_next(request.form.get("next"))
    ids = form_ids(request.form.getlist("document_ids"))
    if dossier_id is None:
        flash(_("Chưa chọn hồ sơ để lưu văn bản."), "error")
    elif not ids:
        flash(_("Chưa chọn văn bản nào."), "error")
    else:
        _try(
            lambda: services.add_documents(dossier_id, ids, current_user),
            _("Đã thêm văn bản vào hồ sơ."),
        )
    if back:
        return redirect(back)
    if dossier_id is None:
        return redirect(url_for("dossiers.dossier_list"))
    return redirect(url_for("dossiers.dossier_detail", dossier_id=dossier_id))


@bp.route("/<int:dossier_id>/close", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_close(dossier_id: int) -> Any:
    pages = request.form.get("page_count", type=int)
    _try(lambda: services.close(dossier_id, current_user, pages), _("Đã đóng hồ sơ."))
    return redirect(url_for("dossiers.dossier_detail", dossier_id=dossier_id))


@bp.route("/<int:dossier_id>/hold", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_hold(dossier_id: int) -> Any:
    hold = request.form.get("hold") == "1"
    _try(
        lambda: services.set_legal_hold(
            dossier_id, hold, request.form.get("reason", ""), current_user
        ),
        _("Đã phong tỏa hồ sơ.") if hold else _("Đã gỡ phong tỏa hồ sơ."),
    )
    return redirect(url_for("dossiers.dossier_detail", dossier_id=dossier_id))


@bp.route("/<int:dossier_id>/dispose", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_dispose(dossier_id: int) -> Any:
    today = to_local(utcnow()).date()
    _try(
        lambda: services.dispose(dossier_id, request.form.get("decision", ""), current_user, today),
        _("Đã ghi nhận quyết định hủy hồ sơ."),
    )
    return redirect(url_for("dossiers.dossier_detail", dossier_id=dossier_id))


@bp.route("/transfer", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_transfer() -> Any:
    """Hand the selected closed dossiers to the archive; the transfer list prints as PDF."""
    from edoc.dossiers.reports import transfer_response

    ids = form_ids(request.form.getlist("dossier_ids"))
    try:
        dossiers = services.transfer(ids, current_user)
    except AppError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("dossiers.dossier_list"))
    return transfer_response(dossiers, current_user)


@bp.route("/export", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_export() -> Any:
    ids = form_ids(request.form.getlist("dossier_ids"))
    try:
        dossiers = [services.get(i) for i in ids]
        services.check_may_export(dossiers, current_user)
    except AppError as error:
        if error.code == "above_clearance":
            record_security_event(
                "archive.export_refused",
                dossier_ids=ids,
                reason=error.code,
                actor=current_user._get_current_object(),
            )
        flash(error.message, "error")
        return redirect(request.referrer or url_for("dossiers.dossier_list"))
    job = jobs.create_job("export", {"dossier_ids": ids}, current_user.id)
    record(
        "archive.export_started",
        actor=current_user._get_current_object(),
        object_type="job",
        object_id=job.id,
        dossier_ids=ids,
    )
    db.session.commit()
    export_task(job.id, ids, current_user.id)
    return redirect(url_for("dossiers.job_page", job_id=job.id))


@bp.route("/jobs/<job_id>")
@login_required
def job_page(job_id: str) -> Any:
    return render_template("dossiers/job.html", job=jobs.get_job(job_id, current_user.id))


@bp.route("/jobs/<job_id>/download")
@roles_required(Role.ARCHIVIST)
def job_download(job_id: str) -> Any:
    """The finished package, to the archivist who asked for it, if they may still see all of it."""
    path = jobs.download_path(job_id, current_user._get_current_object())
    return send_file(path, as_attachment=True, download_name=f"goi-luu-tru-{job_id[:8]}.zip")


def dashboard_items(user: User) -> list[Any]:
    from sqlalchemy import func

    from edoc.core.dashboard import DashboardItem

    if not user.has_role(Role.ARCHIVIST):
        return []
    section = Role.ARCHIVIST.label
    open_count = (
        db.session.scalar(
            select(func.count()).where(
                Dossier.status == DossierStatus.OPEN, Dossier.year == _this_year()
            )
        )
        or 0
    )
    due = len(services.due_for_transfer(_this_year()))
    return [
        DashboardItem(
            section, _("Hồ sơ đang mở năm nay"), open_count, url_for("dossiers.dossier_list")
        ),
        DashboardItem(
            section, _("Hồ sơ đến hạn nộp lưu"), due, url_for("dossiers.dossier_list"), due > 0
        ),
    ]
