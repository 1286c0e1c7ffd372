"""Incoming documents in the browser: receive, the document page with its actions, tracking."""

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
from edoc.incoming import intake, reports, services
from edoc.incoming.models import IncomingStatus, ReceivedVia
from edoc.incoming.tracking import tracking_rows
from edoc.users.models import CLEARANCE_LABELS, Role, Unit, User

bp = Blueprint("incoming", __name__, url_prefix="/incoming")


def _form_fields(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Read the receive form; dates are typed as dd/mm/yyyy."""
    errors: dict[str, str] = {}
    issued_raw = form.get("issued_date", "").strip()
    issued = parse_user_date(issued_raw)
    if issued_raw and issued is None:
        errors["issued_date"] = _("Ngày không hợp lệ (dd/mm/yyyy).")
    fields = {
        "sender_org": form.get("sender_org", ""),
        "number_notation": form.get("number_notation", ""),
        "issued_date": issued,
        "doc_type": form.get("doc_type", ""),
        "subject": form.get("subject", ""),
        "signer_name": form.get("signer_name", ""),
        "urgency": form_int(form.get("urgency"), 0),
        "secrecy": form_int(form.get("secrecy"), 0),
        "page_count": form_int(form.get("page_count")),
        "received_via": form.get("received_via", ""),
        "recipient": form.get("recipient", ""),
        "note": form.get("note", ""),
    }
    return fields, errors


def _choices() -> dict[str, Any]:
    return {
        "doc_types": db.session.scalars(select(DocumentType).order_by(DocumentType.name)).all(),
        "urgencies": URGENCY_LABELS,
        "secrecies": {k: v for k, v in CLEARANCE_LABELS.items() if k <= current_user.clearance},
    }


@bp.route("/")
@login_required
def incoming_list() -> Any:
    args = request.args
    flt = services.IncomingFilter(
        status=args.get("status") or None,
        date_from=parse_user_date(args.get("from")),
        date_to=parse_user_date(args.get("to")),
        q=args.get("q", ""),
        page=load_query(PageArgs(), args)["page"],
    )
    total, items = services.list_incoming(current_user, flt)
    return render_template(
        "incoming/list.html",
        items=items,
        total=total,
        page=flt.page,
        pages=max(1, -(-total // flt.per_page)),
        statuses=list(IncomingStatus),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.CLERK)
def incoming_new() -> Any:
    values: dict[str, Any] = {"received_via": ReceivedVia.ELECTRONIC.value, "urgency": 0}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        fields, errors = _form_fields(request.form)
        values = dict(request.form)
        if not errors:
            try:
                incoming = intake.receive(
                    current_user,
                    fields,
                    request.files.getlist("file"),
                    request.files.getlist("attachments"),
                    request.form.get("upload_token", ""),
                )
            except AppError as error:
                db.session.rollback()
                flash(error.message, "error")
                errors = error.details if isinstance(error.details, dict) else {}
                status = error.status
            else:
                if incoming.arrival_number:
                    flash(
                        _("Đã vào sổ văn bản đến, số đến %(n)s.", n=incoming.arrival_number),
                        "success",
                    )
                else:
                    flash(
                        _("Chữ ký số chưa hợp lệ: văn bản được giữ lại, chưa cấp số đến."),
                        "error",
                    )
                return redirect(
                    url_for("incoming.incoming_detail", document_id=incoming.document_id)
                )
        else:
            status = 422
    return (
        render_template("incoming/new.html", values=values, errors=errors, **_choices()),
        status,
    )


@bp.route("/<int:document_id>")
@login_required
def incoming_detail(document_id: int) -> Any:
    incoming = services.get_incoming(document_id, current_user)
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "document", AuditEvent.object_id == str(document_id))
        .order_by(AuditEvent.seq)
    ).all()
    my_tasks = [t for t in services.tasks_for(current_user) if t.document_id == document_id]
    from edoc.outgoing.sending import recall_notice

    return render_template(
        "incoming/detail.html",
        incoming=incoming,
        recall=recall_notice(document_id),
        document=incoming.document,
        history=history,
        my_tasks=my_tasks,
        leaders=services.leaders(incoming.document.secrecy),
        units=db.session.scalars(select(Unit).order_by(Unit.code)).all(),
        people=db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.clearance >= incoming.document.secrecy)
            .order_by(User.full_name)
        ).all(),
        today=to_local(utcnow()).date(),
        Status=IncomingStatus,
    )


def _act(document_id: int, action: Any, success: str) -> Any:
    try:
        action()
    except AppError as error:
        db.session.rollback()
        flash(error.message, "error")
        details = error.details if isinstance(error.details, dict) else {}
        for message in details.values():
            flash(str(message), "error")
    else:
        flash(success, "success")
    return redirect(url_for("incoming.incoming_detail", document_id=document_id))


@bp.route("/<int:document_id>/register", methods=["POST"])
@roles_required(Role.CLERK)
def incoming_register(document_id: int) -> Any:
    return _act(
        document_id,
        lambda: services.register(document_id, current_user, request.form.get("reason", "")),
        _("Đã vào sổ văn bản đến."),
    )


@bp.route("/<int:document_id>/return", methods=["POST"])
@roles_required(Role.CLERK)
def incoming_return(document_id: int) -> Any:
    return _act(
        document_id,
        lambda: services.return_to_sender(
            document_id, request.form.get("reason", ""), current_user
        ),
        _("Đã trả lại văn bản cho nơi gửi."),
    )


@bp.route("/<int:document_id>/present", methods=["POST"])
@roles_required(Role.CLERK)
def incoming_present(document_id: int) -> Any:
    return _act(
        document_id,
        lambda: services.present(
            document_id, form_int(request.form.get("leader_id"), 0) or 0, current_user
        ),
        _("Đã trình lãnh đạo."),
    )


@bp.route("/<int:document_id>/route", methods=["POST"])
@roles_required(Role.LEADER)
def incoming_route(document_id: int) -> Any:
    form = request.form
    deadline_raw = form.get("deadline", "").strip()
    deadline = parse_user_date(deadline_raw)

    def action() -> None:
        if deadline_raw and deadline is None:
            raise AppError("invalid_deadline", _("Hạn giải quyết không hợp lệ (dd/mm/yyyy)."), 422)
        services.route(
            document_id,
            current_user,
            direction_text=form.get("direction", ""),
            lead_unit_id=form_int(form.get("lead_unit_id")),
            lead_user_id=form_int(form.get("lead_user_id")),
            cooperating_unit_ids=form_ids(form.getlist("cooperating_unit_ids")),
            deadline=deadline,
        )

    return _act(document_id, action, _("Đã ghi ý kiến chỉ đạo và giao xử lý."))


@bp.route("/tasks/<int:task_id>/progress", methods=["POST"])
@login_required
def task_progress(task_id: int) -> Any:
    document_id = form_int(request.form.get("document_id"), 0) or 0
    done = request.form.get("done") == "y"
    return _act(
        document_id,
        lambda: services.report_progress(task_id, current_user, request.form.get("text", ""), done),
        _("Đã hoàn thành xử lý.") if done else _("Đã cập nhật tiến độ."),
    )


@bp.route("/<int:document_id>/file")
@login_required
def incoming_file(document_id: int) -> Any:
    inline = request.args.get("inline") == "1"
    return file_response(services.document_file_for(current_user, document_id), inline=inline)


@bp.route("/tasks")
@login_required
def my_tasks() -> Any:
    return render_template(
        "incoming/tasks.html",
        tasks=services.tasks_for(current_user),
        today=to_local(utcnow()).date(),
    )


@bp.route("/tracking")
@login_required
def tracking() -> Any:
    return render_template(
        "incoming/tracking.html",
        rows=tracking_rows(current_user, include_done=request.args.get("all") == "1"),
        today=to_local(utcnow()).date(),
    )


@bp.route("/register")
@roles_required(Role.CLERK, Role.LEADER, Role.ARCHIVIST)
def register_export() -> Any:
    date_from = parse_user_date(request.args.get("from"))
    date_to = parse_user_date(request.args.get("to"))
    if request.args.get("format") and (date_from is None or date_to is None):
        flash(_("Cần nhập khoảng ngày hợp lệ (dd/mm/yyyy)."), "error")
    elif date_from and date_to:
        if date_from > date_to:
            flash(_("Ngày bắt đầu phải trước ngày kết thúc."), "error")
        else:
            return reports.register_response(
                current_user, date_from, date_to, request.args.get("format", "pdf")
            )
    today = to_local(utcnow()).date()
    return render_template(
        "incoming/register.html", default_from=date(today.year, 1, 1), default_to=today
    )
