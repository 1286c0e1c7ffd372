"""Outgoing documents in the browser: drafts, review, the leader's signature, issue, recall."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.auth import login_required, roles_required
from edoc.core.clock import parse_user_date, to_local, utcnow
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.core.params import PageArgs, form_ids, form_int, load_query
from edoc.documents.models import URGENCY_LABELS, DocumentType
from edoc.documents.views_common import file_response
from edoc.outgoing import reports, sending, services
from edoc.outgoing.models import AUTHORITY_PREFIXES, OutgoingStatus
from edoc.users.models import CLEARANCE_LABELS, Role

bp = Blueprint("outgoing", __name__, url_prefix="/outgoing")


def draft_fields(form: Any) -> services.DraftFields:
    return services.DraftFields(
        doc_type=form.get("doc_type", ""),
        subject=form.get("subject", ""),
        recipients=form.get("recipients", ""),
        signer_id=form_int(form.get("signer_id")),
        authority_prefix=form.get("authority_prefix", ""),
        urgency=form_int(form.get("urgency"), 0) or 0,
        secrecy=form_int(form.get("secrecy"), 0) or 0,
        copies=form_int(form.get("copies"), 1) or 1,
        legal_normative=form.get("legal_normative") == "y",
    )


def _choices() -> dict[str, Any]:
    from edoc.incoming.services import leaders

    return {
        "doc_types": db.session.scalars(select(DocumentType).order_by(DocumentType.name)).all(),
        "urgencies": URGENCY_LABELS,
        "secrecies": {k: v for k, v in CLEARANCE_LABELS.items() if k <= current_user.clearance},
        "leaders": leaders(),
        "prefixes": AUTHORITY_PREFIXES,
    }


def _back(document_id: int) -> Any:
    return redirect(url_for("outgoing.outgoing_detail", document_id=document_id))


def _act(document_id: int, action: Any, success: str) -> Any:
    try:
        action()
    except AppError as error:
        db.session.rollback()
        # A refusal is a 403 page; a document the user may not see is the 404 page of one that
        # does not exist (never a message on a page that would then be refused).
        if error.status == 403 or error.code == "document_not_found":
            raise
        flash(error.message, "error")
        for message in (error.details or {}).values() if isinstance(error.details, dict) else []:
            flash(str(message), "error")
    else:
        flash(success, "success")
    return _back(document_id)


@bp.route("/")
@login_required
def outgoing_list() -> Any:
    flt = services.OutgoingFilter(
        status=request.args.get("status") or None,
        q=request.args.get("q", ""),
        page=load_query(PageArgs(), request.args)["page"],
    )
    total, items = services.list_outgoing(current_user, flt)
    return render_template(
        "outgoing/list.html",
        items=items,
        total=total,
        page=flt.page,
        pages=max(1, -(-total // flt.per_page)),
        statuses=list(OutgoingStatus),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.SPECIALIST, Role.CLERK, Role.LEADER)
def outgoing_new() -> Any:
    values: dict[str, Any] = {"copies": 1}
    status = 200
    if request.method == "POST":
        values = dict(request.form)
        try:
            outgoing = services.create_draft(
                draft_fields(request.form), request.files.get("file"), current_user
            )
        except AppError as error:
            db.session.rollback()
            flash(error.message, "error")
            for message in (
                (error.details or {}).values() if isinstance(error.details, dict) else []
            ):
                flash(str(message), "error")
            status = error.status
        else:
            flash(_("Đã tạo dự thảo."), "success")
            return _back(outgoing.document_id)
    return render_template("outgoing/new.html", values=values, **_choices()), status


@bp.route("/<int:document_id>")
@login_required
def outgoing_detail(document_id: int) -> Any:
    outgoing = services.get_outgoing(document_id, current_user)
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "document", AuditEvent.object_id == str(document_id))
        .order_by(AuditEvent.seq)
    ).all()
    from edoc.outgoing.issuing import COPY_KINDS

    return render_template(
        "outgoing/detail.html",
        outgoing=outgoing,
        document=outgoing.document,
        history=history,
        organizations=sending.organizations(),
        appendices=services.files_by_role(outgoing, services.DRAFT_APPENDIX),
        copies=services.files_by_role(outgoing, "copy", "appendix"),
        copy_kinds={k: v for k, v in COPY_KINDS.items() if k != "PL"},
        dispatch_status=sending.dispatch_status_label,
        channel_label=sending.channel_label,
        Status=OutgoingStatus,
        **_choices(),
    )


@bp.route("/<int:document_id>/files/<int:file_id>")
@login_required
def outgoing_document_file(document_id: int, file_id: int) -> Any:
    """An appendix or a certified copy of the document (the download is audited)."""
    stored = services.document_file(document_id, file_id, current_user)
    return file_response(stored, inline=request.args.get("inline") == "1")


@bp.route("/<int:document_id>/appendices", methods=["POST"])
@login_required
def outgoing_appendix(document_id: int) -> Any:
    return _act(
        document_id,
        lambda: services.add_appendix(document_id, request.files.get("file"), current_user),
        _("Đã thêm phụ lục."),
    )


@bp.route("/<int:document_id>/appendices/<int:file_id>/seal", methods=["POST"])
@roles_required(Role.CLERK)
def outgoing_appendix_seal(document_id: int, file_id: int) -> Any:
    from edoc.outgoing.issuing import seal_appendix

    return _act(
        document_id,
        lambda: seal_appendix(document_id, file_id, current_user),
        _("Đã ký số cơ quan cho phụ lục."),
    )


@bp.route("/<int:document_id>/send", methods=["POST"])
@roles_required(Role.CLERK)
def outgoing_send(document_id: int) -> Any:
    ids = form_ids(request.form.getlist("organization_ids"))
    return _act(
        document_id,
        lambda: sending.send_document(document_id, ids, current_user),
        _("Đã gửi văn bản."),
    )


@bp.route("/<int:document_id>/organizations", methods=["POST"])
@roles_required(Role.CLERK, Role.ADMIN)
def outgoing_organization_new(document_id: int) -> Any:
    """Add an agency to the directory from the sending form, then come back to it."""
    services.get_outgoing(document_id, current_user)
    return _act(
        document_id,
        lambda: sending.create_organization(
            request.form.get("code", ""),
            request.form.get("name", ""),
            request.form.get("internal") == "y",
            current_user,
        ),
        _("Đã thêm cơ quan, tổ chức vào danh bạ."),
    )


@bp.route("/<int:document_id>/copies", methods=["POST"])
@roles_required(Role.CLERK)
def outgoing_copy(document_id: int) -> Any:
    from edoc.outgoing.issuing import COPY_KINDS, make_copy

    kind = request.form.get("kind", "")
    return _act(
        document_id,
        lambda: make_copy(document_id, kind, current_user, request.files.get("file")),
        _("Đã tạo %(k)s có ký số cơ quan.", k=str(COPY_KINDS.get(kind, "")).lower()),
    )


@bp.route("/<int:document_id>/versions", methods=["POST"])
@login_required
def outgoing_version(document_id: int) -> Any:
    return _act(
        document_id,
        lambda: services.add_version(
            document_id, request.files.get("file"), current_user, request.form.get("note", "")
        ),
        _("Đã lưu phiên bản mới của dự thảo."),
    )


@bp.route("/<int:document_id>/comments", methods=["POST"])
@login_required
def outgoing_comment(document_id: int) -> Any:
    return _act(
        document_id,
        lambda: services.comment(document_id, current_user, request.form.get("text", "")),
        _("Đã ghi góp ý."),
    )


@bp.route("/<int:document_id>/submit", methods=["POST"])
@login_required
def outgoing_submit(document_id: int) -> Any:
    return _act(
        document_id,
        lambda: services.submit(document_id, current_user, form_int(request.form.get("signer_id"))),
        _("Đã trình lãnh đạo ký."),
    )


@bp.route("/issue", methods=["POST"])
@roles_required(Role.CLERK)
def outgoing_issue() -> Any:
    """Number, date and agency seal for the selected leader-signed documents."""
    from edoc.outgoing.issuing import issue

    ids = form_ids(request.form.getlist("document_ids"))
    try:
        result = issue(ids, current_user)
    except AppError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        for item in result["issued"]:
            flash(_("Đã phát hành văn bản số %(n)s.", n=item["number_notation"]), "success")
        for message in result["failed"].values():
            flash(message, "error")
    if len(ids) == 1:
        return _back(ids[0])
    return redirect(url_for("outgoing.outgoing_list", status=OutgoingStatus.ISSUED.value))


@bp.route("/<int:document_id>/recall", methods=["POST"])
@roles_required(Role.CLERK, Role.LEADER)
def outgoing_recall(document_id: int) -> Any:
    return _act(
        document_id,
        lambda: services.recall(document_id, current_user, request.form.get("reason", "")),
        _("Đã thu hồi văn bản và thông báo nơi nhận."),
    )


@bp.route("/<int:document_id>/file")
@login_required
def outgoing_file(document_id: int) -> Any:
    from edoc.incoming.services import document_file_for

    outgoing = services.get_outgoing(document_id, current_user)
    inline = request.args.get("inline") == "1"
    if outgoing.document.main_file is None:  # a draft: its current version
        return file_response(outgoing.current_version, inline=inline)
    return file_response(document_file_for(current_user, document_id), inline=inline)


@bp.route("/sign")
@roles_required(Role.LEADER)
def sign_page() -> Any:
    """The leader's drafts waiting for a signature, signed through the local agent."""
    from flask import current_app
    from flask import request as flask_request

    from edoc.outgoing.signing import waiting_for

    return render_template(
        "outgoing/sign.html",
        drafts=waiting_for(current_user),
        signer_url=current_app.config["EDOC"].signer_url,
        origin=flask_request.host_url.rstrip("/"),
    )


def dashboard_items(user: Any) -> list[Any]:
    from edoc.core.dashboard import DashboardItem
    from edoc.outgoing.signing import waiting_for

    items = []
    if user.has_role(Role.LEADER):
        count = len(waiting_for(user))
        items.append(
            DashboardItem(
                Role.LEADER.label,
                _("Dự thảo chờ ký số"),
                count,
                url_for("outgoing.sign_page"),
                count > 0,
            )
        )
    if user.has_role(Role.CLERK):
        total, _rows = services.list_outgoing(
            user, services.OutgoingFilter(status=OutgoingStatus.SIGNED, per_page=1)
        )
        items.append(
            DashboardItem(
                Role.CLERK.label,
                _("Văn bản đã ký chờ cấp số, phát hành"),
                total,
                url_for("outgoing.outgoing_list", status=OutgoingStatus.SIGNED.value),
                total > 0,
            )
        )
    return items


@bp.route("/register")
@roles_required(Role.CLERK, Role.LEADER, Role.ARCHIVIST)
def register_export() -> Any:
    date_from = parse_user_date(request.args.get("from"))
    date_to = parse_user_date(request.args.get("to"))
    if date_from and date_to and date_from <= date_to:
        return reports.register_response(
            current_user, date_from, date_to, request.args.get("format", "pdf")
        )
    if request.args.get("format"):
        flash(_("Cần nhập khoảng ngày hợp lệ (dd/mm/yyyy)."), "error")
    today = to_local(utcnow()).date()
    return render_template(
        "outgoing/register.html", default_from=date(today.year, 1, 1), default_to=today
    )
