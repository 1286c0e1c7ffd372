"""Dossiers in the browser: the yearly list, a dossier, filing, closing, export, transfer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from edoc.audit.services import record, record_security_event
from edoc.core.auth import login_required, roles_required
from edoc.core.clock import local_today
from edoc.core.dashboard import LIST_LIMIT, DashboardEntry, DashboardItem
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.core.forms import FormInvalid, load_form
from edoc.core.paging import count_rows
from edoc.core.params import YearArgs, load_query
from edoc.documents.models import Document
from edoc.dossiers import schemas, services
from edoc.dossiers.models import Dossier, DossierDocument, DossierStatus
from edoc.dossiers.reports import transfer_response
from edoc.dossiers.tasks import export_task
from edoc.jobs import services as jobs
from edoc.jobs.models import Job
from edoc.search import indexing as search_indexing
from edoc.search import outbox as search_outbox
from edoc.search import services as search
from edoc.users.models import Role, User

bp = Blueprint("dossiers", __name__, url_prefix="/dossiers")
FILERS = services.FILERS


def _this_year() -> int:
    return local_today().year


def _refusal(error: AppError) -> str:
    """What the next page says: a form's field messages, or the service's refusal."""
    if isinstance(error, FormInvalid):
        return " ".join(dict.fromkeys(error.fields.values()))
    return error.message


def _try(action: Callable[[], object], success: str | None) -> bool:
    """Run an action whose outcome the next page reports (the answer is a redirect).

    A redirect is a success for the request's transaction, so a refusal must undo the
    action's own writes here: it runs in a savepoint, which the refusal rolls back.
    """
    try:
        with db.session.begin_nested():
            action()
    except AppError as error:
        flash(_refusal(error), "error")
        return False
    if success:
        flash(success, "success")
    return True


@bp.route("/", methods=["GET", "POST"])
@login_required
def dossier_list() -> Any:
    year = load_query(YearArgs(), request.args)["year"] or _this_year()
    if request.method == "POST":
        if not current_user.has_role(Role.ARCHIVIST):
            return redirect(url_for("dossiers.dossier_list"))

        def create() -> None:
            form = load_form(schemas.DossierCreate(), request.form)
            services.create(services.DossierFields(year=year, **form), current_user)

        if _try(create, _("Đã thêm hồ sơ vào danh mục.")):
            return redirect(url_for("dossiers.dossier_list", year=year))
        # refused: the page again with what was typed (the message is flashed)
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
        due=services.due_for_transfer(),
        appraisal=services.due_for_appraisal(),
        values=request.form if request.method == "POST" else {},
    ), (422 if request.method == "POST" else 200)


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
        params = search.SearchParams(q=q, per_page=50, facets=())
        found = search.search_documents(current_user, params)
        filed = {e.document_id for e in dossier.entries}
        candidates = [row.document for row in found.rows if row.document.id not in filed]
    visible = services.entries_in_date_order(dossier, current_user)
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
    back = _safe_next(request.form.get("next"))
    target = {"id": dossier_id}

    def add() -> None:
        form = load_form(schemas.FileDocuments(), request.form, lists=("document_ids",))
        target["id"] = target["id"] or form["dossier_id"]
        if target["id"] is None:
            raise AppError("no_dossier", _("Chưa chọn hồ sơ để lưu văn bản."), 422)
        if not form["document_ids"]:
            raise AppError("no_documents", _("Chưa chọn văn bản nào."), 422)
        services.add_documents(target["id"], form["document_ids"], current_user)

    _try(add, _("Đã thêm văn bản vào hồ sơ."))
    if back:
        return redirect(back)
    if target["id"] is None:
        return redirect(url_for("dossiers.dossier_list"))
    return redirect(url_for("dossiers.dossier_detail", dossier_id=target["id"]))


@bp.route("/<int:dossier_id>/close", methods=["GET", "POST"])
@roles_required(Role.ARCHIVIST)
def dossier_close(dossier_id: int) -> Any:
    """Closing asks first: the confirmation page lists the documents still being handled
    (those the archivist may see; of the others only that some are, never how many, as on the
    detail page). The close itself is a POST of
    that page with ``confirm=1``; a POST without it comes back to the page."""
    dossier = services.get(dossier_id)
    if request.method == "POST" and request.form.get("confirm") == "1":

        def close() -> None:
            form = load_form(schemas.CloseDossier(), request.form)
            services.close(dossier_id, current_user, form["page_count"])

        _try(close, _("Đã đóng hồ sơ."))
        return redirect(url_for("dossiers.dossier_detail", dossier_id=dossier_id))
    if dossier.status != DossierStatus.OPEN:
        flash(_("Hồ sơ không ở trạng thái đang mở."), "error")
        return redirect(url_for("dossiers.dossier_detail", dossier_id=dossier_id))
    if request.method == "POST":  # not confirmed: ask
        return redirect(url_for("dossiers.dossier_close", dossier_id=dossier_id))
    in_hand, hidden = services.in_hand(dossier, current_user)
    return render_template(
        "dossiers/close.html",
        dossier=dossier,
        in_hand=in_hand,
        hidden=hidden,
        empty=not dossier.entries,
        filed=len(services.entries_in_date_order(dossier, current_user)),
        status_labels={status.value: status.label for status in services.IN_HAND},
    )


@bp.route("/<int:dossier_id>/reopen", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_reopen(dossier_id: int) -> Any:
    def reopen() -> None:
        form = load_form(schemas.Reopen(), request.form)
        services.reopen(dossier_id, form["reason"], current_user)

    _try(reopen, _("Đã mở lại hồ sơ."))
    return redirect(url_for("dossiers.dossier_detail", dossier_id=dossier_id))


@bp.route("/<int:dossier_id>/hold", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_hold(dossier_id: int) -> Any:
    hold = request.form.get("hold") == "1"  # which message the page shows, even on a refusal

    def set_hold() -> None:
        form = load_form(schemas.LegalHold(), request.form)
        services.set_legal_hold(dossier_id, form["hold"], form["reason"], current_user)

    _try(set_hold, _("Đã phong tỏa hồ sơ.") if hold else _("Đã gỡ phong tỏa hồ sơ."))
    return redirect(url_for("dossiers.dossier_detail", dossier_id=dossier_id))


@bp.route("/<int:dossier_id>/dispose", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_dispose(dossier_id: int) -> Any:
    def dispose() -> None:
        form = load_form(schemas.Disposal(), request.form)
        services.dispose(dossier_id, form["decision"], current_user)

    _try(dispose, _("Đã ghi nhận quyết định hủy hồ sơ."))
    return redirect(url_for("dossiers.dossier_detail", dossier_id=dossier_id))


def _selected() -> list[int]:
    return load_form(schemas.SelectedDossiers(), request.form, lists=("dossier_ids",))[
        "dossier_ids"
    ]


@bp.route("/transfer", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_transfer() -> Any:
    """Hand the selected closed dossiers to the archive; the transfer list prints as PDF."""
    transferred: list[Dossier] = []

    def transfer() -> None:
        transferred.extend(services.transfer(_selected(), current_user))

    if not _try(transfer, None):  # the answer is the transfer list itself
        return redirect(url_for("dossiers.dossier_list"))
    return transfer_response(transferred, current_user)


@bp.route("/export", methods=["POST"])
@roles_required(Role.ARCHIVIST)
def dossier_export() -> Any:
    ids: list[int] = []
    try:
        ids = _selected()
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
        flash(_refusal(error), "error")
        return redirect(request.referrer or url_for("dossiers.dossier_list"))
    job = jobs.create_job("export", {"dossier_ids": ids}, current_user.id)
    record(
        "archive.export_started",
        actor=current_user._get_current_object(),
        object_type="job",
        object_id=job.id,
        dossier_ids=ids,
    )
    db.session.commit()  # the worker reads the job: it must exist before the task is queued
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
    """The archivist's: this year's open dossiers, and those due or overdue for transfer."""
    if not user.has_role(Role.ARCHIVIST):
        return []
    section = Role.ARCHIVIST.label
    open_query = select(Dossier).where(
        Dossier.status == DossierStatus.OPEN, Dossier.year == _this_year()
    )
    open_count = count_rows(open_query)
    open_entries = tuple(
        DashboardEntry(f"{d.code} — {d.title}", url_for("dossiers.dossier_detail", dossier_id=d.id))
        for d in db.session.scalars(open_query.order_by(Dossier.code).limit(LIST_LIMIT))
    )
    due = services.due_for_transfer()
    due_entries = tuple(
        DashboardEntry(
            f"{item.dossier.code} — {item.dossier.title}",
            url_for("dossiers.dossier_detail", dossier_id=item.dossier.id),
            (_("quá hạn nộp lưu %(d)s") if item.overdue else _("hạn nộp lưu %(d)s"))
            % {"d": format_date(item.deadline, "dd/MM/yyyy")},
            item.overdue,
        )
        for item in due[:LIST_LIMIT]
    )
    return [
        DashboardItem(
            section,
            _("Hồ sơ đang mở năm nay"),
            open_count,
            url_for("dossiers.dossier_list"),
            entries=open_entries,
        ),
        DashboardItem(
            section,
            _("Hồ sơ đến hạn nộp lưu"),
            len(due),
            url_for("dossiers.dossier_list") + "#due-for-transfer",
            bool(due),
            due_entries,
        ),
    ]


def _dossier_of(document: Document) -> dict[str, object]:
    """The index's ``dossier`` field: the dossier that filed the document last."""
    dossier_id = db.session.scalar(
        select(DossierDocument.dossier_id)
        .where(DossierDocument.document_id == document.id)
        .order_by(DossierDocument.id.desc())
        .limit(1)
    )
    return {"dossier": str(dossier_id) if dossier_id else None}


def _dossier_labels() -> dict[str, str]:
    rows = db.session.execute(select(Dossier.id, Dossier.code, Dossier.title))
    return {str(i): f"{code} – {title}" for i, code, title in rows}


def _check_export_download(job: Job, user: User) -> None:
    services.check_may_export([services.get(i) for i in job.params["dossier_ids"]], user)


def _export_again(job: Job) -> None:
    """Queue an export job's task again from its row (the queue lost it)."""
    export_task(job.id, job.params["dossier_ids"], job.created_by_id)


def init_dossiers(app: Flask) -> None:
    """Wire the area into the ones below it, which never import it: the search index follows
    filing (a document's dossier is a field and a facet), the jobs area asks who may take an
    export, and documents' pages show their dossiers (``dossier_filing`` in templates)."""
    search_outbox.follow(DossierDocument)
    search_indexing.add_index_fields("dossier", _dossier_of)
    search.add_facet_labels("dossier", _dossier_labels)
    jobs.register_download_check("export", _check_export_download)
    jobs.register_job_runner("export", _export_again)
    app.jinja_env.globals["dossier_filing"] = services.filing_for
