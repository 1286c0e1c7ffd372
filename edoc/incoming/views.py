"""Incoming documents in the browser: receive, the document page with its actions, tracking.

Every form is loaded through the schema its API twin uses (``incoming.schemas``). A refused
action shows its page again with what was typed and the reasons, answered with the refusal's
status, so the request's transaction rolls back (see ``edoc.core.db``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from edoc.core.auth import login_required, roles_required
from edoc.core.clock import local_today
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.core.forms import FormInvalid, load_form
from edoc.documents import records
from edoc.documents.access import document_file_for
from edoc.documents.models import URGENCY_LABELS, DocumentType
from edoc.documents.views_common import file_response, render_list
from edoc.incoming import intake, reports, schemas, services, slip
from edoc.incoming.actions import DOCUMENT_ACTIONS, DocumentAction
from edoc.incoming.models import IncomingDocument, IncomingStatus, ReceivedVia
from edoc.incoming.tracking import tracking_rows
from edoc.users.models import CLEARANCE_LABELS, Role, Unit, User

bp = Blueprint("incoming", __name__, url_prefix="/incoming")

SENDER_NOTICE = "edoc.incoming.sender_notice"


def register_sender_notice(app: Flask, lookup: Callable[[int], Any]) -> None:
    """Let the area that delivers documents here say, on a received document's page, that its
    sender recalled or replaced it (outgoing's dispatch: it sits above incoming, so it hands
    the look-up down instead of incoming importing it)."""
    app.extensions[SENDER_NOTICE] = lookup


def _sender_notice(document_id: int) -> Any:
    lookup = current_app.extensions.get(SENDER_NOTICE)
    return lookup(document_id) if lookup else None


def _refusal(error: AppError) -> dict[str, str]:
    """Flash a refusal; its per-field messages, if any, for the form that was sent."""
    flash(error.message, "error")
    return error.details if isinstance(error.details, dict) else {}


def _act_on_bad_signature(incoming: IncomingDocument, choice: dict[str, Any]) -> None:
    """The clerk's choice for a held document (signature missing or failed), in the same
    request as the receipt: a refused choice (no reason given) refuses the whole receipt."""
    if incoming.status != IncomingStatus.RECEIVED:
        return
    if choice["on_bad_signature"] == "return":
        services.return_to_sender(incoming.document_id, choice["return_reason"], current_user)
    elif choice["on_bad_signature"] == "register":
        services.register(incoming.document_id, current_user, choice["override_reason"])


def _choices() -> dict[str, Any]:
    return {
        "doc_types": db.session.scalars(select(DocumentType).order_by(DocumentType.name)).all(),
        "urgencies": URGENCY_LABELS,
        # Every level is listed (the scale is ND30's), those above the user's clearance
        # greyed out: they may not register what they could not read.
        "secrecies": CLEARANCE_LABELS,
    }


@bp.route("/")
@login_required
def incoming_list() -> Any:
    def lister(args: dict[str, Any]) -> tuple[int, list[Any]]:
        return services.list_incoming(current_user, services.IncomingFilter(**args))

    return render_list(
        "incoming/list.html",
        schemas.IncomingListArgs(),
        lister,
        statuses=list(IncomingStatus),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.CLERK)
def incoming_new() -> Any:
    values: dict[str, Any] = {"received_via": ReceivedVia.ELECTRONIC.value, "urgency": 0}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            choice = load_form(schemas.BadSignatureChoice(), request.form)
            incoming = intake.receive(
                current_user,
                load_form(schemas.ReceiveForm(), request.form),
                request.files.getlist("file"),
                request.files.getlist("attachments"),
            )
            _act_on_bad_signature(incoming, choice)
        except AppError as error:
            errors, status = _refusal(error), error.status
            if error.code == "reason_required":
                errors.setdefault("return_reason", error.message)
            elif error.code == "signature_not_valid":
                errors.setdefault("override_reason", error.message)
        else:
            if incoming.status == IncomingStatus.RETURNED:
                flash(_("Đã trả lại văn bản cho nơi gửi, không cấp số đến."), "success")
            elif incoming.arrival_number:
                flash(
                    _("Đã vào sổ văn bản đến, số đến %(n)s.", n=incoming.arrival_number),
                    "success",
                )
            else:
                flash(
                    _("Chữ ký số chưa hợp lệ: văn bản được giữ lại, chưa cấp số đến."),
                    "error",
                )
            return redirect(url_for("incoming.incoming_detail", document_id=incoming.document_id))
    return (
        render_template("incoming/new.html", values=values, errors=errors, **_choices()),
        status,
    )


def _detail_page(
    document_id: int,
    values: MultiDict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> str:
    """The document's page; after a refusal, with the form that was sent and its messages."""
    incoming = services.get_incoming(document_id, current_user)
    my_tasks = [t for t in services.tasks_for(current_user) if t.document_id == document_id]
    return render_template(
        "incoming/detail.html",
        incoming=incoming,
        recall=_sender_notice(document_id),
        document=incoming.document,
        history=records.history(document_id),
        my_tasks=my_tasks,
        leaders=services.leaders(incoming.document.secrecy),
        units=db.session.scalars(select(Unit).order_by(Unit.code)).all(),
        people=db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.clearance >= incoming.document.secrecy)
            .order_by(User.full_name)
        ).all(),
        today=local_today(),
        Status=IncomingStatus,
        values=values if values is not None else MultiDict(),
        errors=errors or {},
    )


@bp.route("/<int:document_id>")
@login_required
def incoming_detail(document_id: int) -> Any:
    return _detail_page(document_id)


def _act(
    document_id: int,
    schema: Schema,
    action: Callable[..., object],
    success: str | Callable[[], str],
) -> Any:
    """Load the form through ``schema``, run ``action(**form)`` and go back to the document;
    a refusal shows the document's page again with the form as typed (a document the user
    may not see stays the 404 of one that does not exist)."""
    lists = tuple(f.data_key or n for n, f in schema.fields.items() if isinstance(f, fields.List))
    try:
        action(**load_form(schema, request.form, lists=lists))
    except AppError as error:
        if error.status == 404:
            raise
        return _detail_page(document_id, request.form, _refusal(error)), error.status
    flash(success if isinstance(success, str) else success(), "success")
    return redirect(url_for("incoming.incoming_detail", document_id=document_id))


DONE = {
    "register": _l("Đã vào sổ văn bản đến."),
    "return": _l("Đã trả lại văn bản cho nơi gửi."),
    "present": _l("Đã trình lãnh đạo."),
    "route": _l("Đã ghi ý kiến chỉ đạo và giao xử lý."),
}


def _document_view(action: DocumentAction) -> Callable[[int], Any]:
    """``POST /incoming/<id>/<name>``: the action on the page's form (its API twin is in
    ``api``)."""

    def view(document_id: int) -> Any:
        def act(**form: Any) -> object:
            return action.service(document_id, actor=current_user, **form)

        return _act(document_id, action.schema(), act, str(DONE[action.name]))

    return roles_required(action.role)(view)


for _action in DOCUMENT_ACTIONS:
    bp.add_url_rule(
        f"/<int:document_id>/{_action.name}",
        f"incoming_{_action.name}",
        _document_view(_action),
        methods=["POST"],
    )


@bp.route("/tasks/<int:task_id>/progress", methods=["POST"])
@login_required
def task_progress(task_id: int) -> Any:
    task = services.get_task(task_id, current_user)
    return _act(
        task.document_id,
        schemas.ProgressArgs(),
        lambda **form: services.report_progress(task_id, current_user, **form),
        lambda: _("Đã hoàn thành xử lý.") if task.status == "done" else _("Đã cập nhật tiến độ."),
    )


@bp.route("/<int:document_id>/file")
@login_required
def incoming_file(document_id: int) -> Any:
    inline = request.args.get("inline") == "1"
    return file_response(document_file_for(current_user, document_id), inline=inline)


@bp.route("/<int:document_id>/slip")
@login_required
def incoming_slip(document_id: int) -> Any:
    """The processing slip (phiếu xử lý) as a PDF, for printing."""
    return slip.slip_response(document_id, current_user._get_current_object())


@bp.route("/tasks")
@login_required
def my_tasks() -> Any:
    return render_template(
        "incoming/tasks.html",
        tasks=services.tasks_for(current_user),
        today=local_today(),
    )


@bp.route("/tracking")
@login_required
def tracking() -> Any:
    return render_template(
        "incoming/tracking.html",
        rows=tracking_rows(current_user, include_done=request.args.get("all") == "1"),
        today=local_today(),
    )


@bp.route("/register")
@roles_required(Role.CLERK, Role.LEADER, Role.ARCHIVIST)
def register_export() -> Any:
    """The form to print the register; with ``format`` chosen, the register itself."""
    errors: dict[str, str] = {}
    if "format" in request.args:
        try:
            args = load_form(schemas.RegisterReportArgs(), request.args)
        except FormInvalid as error:
            errors = _refusal(error)
        else:
            return reports.register_response(current_user, **args)
    today = local_today()
    page = render_template(
        "incoming/register.html",
        values=request.args,
        errors=errors,
        default_from=date(today.year, 1, 1),
        default_to=today,
    )
    return page, 422 if errors else 200
