"""``init_exchange``: wires the area into the app (its listeners, its worker kick)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from edoc.audit.services import record
from edoc.core.auth import Role, roles_required
from edoc.core.dashboard import register_nav_link
from edoc.core.errors import AppError, NotFound, ServiceUnavailable, ValidationError
from edoc.core.forms import load_form
from edoc.core.transactions import kick_after_request
from edoc.documents.files import clean_filename
from edoc.documents.views_common import file_response, render_list
from edoc.exchange import (
    files,
    following,
    operations,
    outbox,
    panels,
    peers,
    queries,
    queueing,
    retention,
    schemas,
)
from edoc.exchange.tasks import request_drain
from edoc.exchange.transport import transport_names


def init_exchange(app: Flask) -> None:
    """Hear document events; after a request that queued or accepted packages, ask the worker
    to drain now; serve the pages."""
    following.init_listeners()
    kick_after_request(app, outbox.take_kick, request_drain, "exchange")
    init_pages(app)


# ---- pages ------------------------------------------------------------------------------------
# Clerks and admins read; admins edit peers; clerks export and import files. Each view checks
# its role, loads its form through ``schemas`` and calls one service or query.

#: Problems listed on the overview; the message list (filtered by state) has them all.
OVERVIEW_PROBLEMS = 10

bp = Blueprint("exchange", __name__, url_prefix="/exchange")
READERS = (Role.ADMIN, Role.CLERK)


@dataclass(frozen=True)
class StoredPackage:
    """A package's blob as :func:`file_response` serves it."""

    filename: str
    sha256: str
    size: int
    content_type: str = "application/xml"


def _context(**values: Any) -> dict[str, Any]:
    return {**panels.template_context(), **values}


def _refused(error: AppError) -> dict[str, str]:
    """Flash a refusal; its per-field messages, if any."""
    flash(error.message, "error")
    return {k: str(v) for k, v in error.details.items()} if isinstance(error.details, dict) else {}


@bp.route("/")
@roles_required(*READERS)
def overview() -> Any:
    certificate = queries.own_certificate()
    return render_template(
        "exchange/overview.html",
        organ_id=queueing.organ_id(),
        certificate=certificate,
        peers=peers.peers(),
        queues=queries.queue_lines(current_user),
        problems=queries.problems(current_user, limit=OVERVIEW_PROBLEMS + 1),
        overview_problems=OVERVIEW_PROBLEMS,
        **_context(),
    )


@bp.route("/certificate.pem")
@roles_required(*READERS)
def certificate_download() -> Any:
    """This installation's agency certificate, to give to the agencies that will pin it."""
    certificate = queries.own_certificate()
    if certificate is None:
        raise ServiceUnavailable(
            "agency_signer_not_configured", _("Chưa cấu hình token ký số cơ quan.")
        )
    name = f"{queueing.organ_id()}.pem"
    return Response(
        certificate.pem,
        mimetype="application/x-pem-file",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.route("/peers/new", methods=["GET", "POST"])
@bp.route("/peers/<int:peer_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def peer_edit(peer_id: int | None = None) -> Any:
    known = queries.peer_by_id(peer_id) if peer_id else None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            form = load_form(schemas.PeerForm(), CombinedMultiDict([request.form, request.files]))
            upload = form["certificate_file"]
            certificate = (
                upload.read(schemas.CERTIFICATE_MAX_CHARS + 1).decode("ascii", "replace")
                if upload is not None
                else form["certificate_text"] or (known.certificate if known else "")
            )
            if known is not None and form["organ_code"] != known.organ_code:
                raise ValidationError(
                    "organ_code_fixed",
                    _("Không đổi được mã định danh của một kết nối; hãy thêm kết nối mới."),
                )
            peers.save_peer(
                form["organ_code"],
                name=form["name"],
                endpoint=form["endpoint"],
                certificate_pem=certificate,
                kind=form["kind"],
                active=form["active"],
                actor=current_user,
                transport=form["transport"] or None,
            )
            queueing.release_held()
        except AppError as error:
            errors, status = _refused(error), error.status
        else:
            flash(_("Đã lưu kết nối %(o)s.", o=form["organ_code"]), "success")
            return redirect(url_for("exchange.overview"))
    page = render_template(
        "exchange/peer.html",
        peer=known,
        values=request.form if request.method == "POST" else _peer_values(known),
        errors=errors,
        kinds=list(panels.PEER_KIND_LABELS.items()),
        transports=[(n, panels.TRANSPORT_LABELS.get(n, n)) for n in transport_names()],
        **_context(),
    )
    return page, status


def _peer_values(known: Any) -> MultiDict[str, str]:
    if known is None:
        return MultiDict({"kind": "peer", "active": "y", "transport": "http"})
    return MultiDict(
        {
            "organ_code": known.organ_code,
            "name": known.name,
            "endpoint": known.endpoint,
            "kind": known.kind,
            "transport": known.transport,
            "active": "y" if known.active else "",
        }
    )


@bp.route("/messages")
@roles_required(*READERS)
def message_list() -> Any:
    def lister(args: dict[str, Any]) -> tuple[int, list[Any]]:
        return queries.list_messages(current_user, queries.MessageFilter(**args))

    return render_list("exchange/messages.html", schemas.MessageListArgs(), lister, **_context())


@bp.route("/messages/<int:pk>")
@roles_required(*READERS)
def message_detail(pk: int) -> Any:
    message = queries.message_for(pk, current_user)
    return render_template(
        "exchange/message.html",
        message=message,
        about=queries.about(message, current_user),
        package_kept=retention.package_kept(message),
        values=request.form,
        errors={},
        **_context(),
    )


@bp.route("/messages/<int:pk>/retry", methods=["POST"])
@roles_required(*READERS)
def message_retry(pk: int) -> Any:
    message = queries.message_for(pk, current_user)
    try:
        operations.retry(message, current_user)
    except AppError as error:
        _refused(error)
        return _back(pk, error.status)
    flash(_("Gói tin sẽ được gửi lại ngay."), "success")
    return _done(pk)


@bp.route("/messages/<int:pk>/give-up", methods=["POST"])
@roles_required(*READERS)
def message_give_up(pk: int) -> Any:
    message = queries.message_for(pk, current_user)
    try:
        form = load_form(schemas.GiveUpForm(), request.form)
        operations.give_up(message, form["reason"], current_user)
    except AppError as error:
        errors = _refused(error)
        return _back(pk, error.status, errors)
    flash(_("Đã ngừng gửi gói tin."), "success")
    return _done(pk)


def _done(pk: int) -> Any:
    """Back where the form was: the overview's list of problems, or the message's page."""
    if request.form.get("back") == "overview":
        return redirect(url_for("exchange.overview"))
    return redirect(url_for("exchange.message_detail", pk=pk))


def _back(pk: int, status: int, errors: dict[str, str] | None = None) -> Any:
    """The message's page again after a refusal, under the refusal's status (so the request
    rolls back), with what was typed."""
    message = queries.message_for(pk, current_user)
    page = render_template(
        "exchange/message.html",
        message=message,
        about=queries.about(message, current_user),
        package_kept=retention.package_kept(message),
        values=request.form,
        errors=errors or {},
        **_context(),
    )
    return page, status


@bp.route("/messages/<int:pk>/package")
@roles_required(*READERS)
def message_package(pk: int) -> Any:
    """The package's exact bytes (.edxml), for a user cleared for its document."""
    message = queries.message_for(pk, current_user)
    if not message.package_sha256:
        raise NotFound("package_not_built", _("Gói tin chưa được tạo."))
    if not retention.package_kept(message):
        raise NotFound(
            "package_not_kept",
            _(
                "Bản gói tin chuyển tiếp không còn lưu tại trục: đã chuyển xong quá %(d)s ngày "
                "(nơi gửi và nơi nhận vẫn giữ bản của mình).",
                d=retention.retention_days(),
            ),
        )
    record(
        "exchange.package_downloaded",
        actor=current_user,
        object_type="exchange_message",
        object_id=message.id,
        message_id=message.message_id,
    )
    stored = StoredPackage(
        f"{message.message_id}.edxml", message.package_sha256, message.package_size
    )
    return file_response(stored)


@bp.route("/export/<int:document_id>", methods=["GET", "POST"])
@roles_required(Role.CLERK)
def export_page(document_id: int) -> Any:
    """A package file of an issued document for an agency that is not connected."""
    document = queries.exportable(document_id, current_user)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            organ = load_form(schemas.ExportForm(), request.form)["organ_code"]
            if organ not in {o.code for o in queries.export_recipients()}:
                message = _("Cơ quan nhận không có trong danh bạ.")
                raise ValidationError("unknown_recipient", message, details={"organ_code": message})
            data = files.export_package(document_id, organ, current_user)
        except AppError as error:
            errors, status = _refused(error), error.status
        else:
            name = f"{document.number_notation or document_id}-{organ}.edxml"
            return Response(
                data,
                mimetype="application/xml",
                headers={
                    "Content-Disposition": "attachment; filename*=UTF-8''"
                    + quote(clean_filename(name))
                },
            )
    page = render_template(
        "exchange/export.html",
        document=document,
        recipients=queries.export_recipients(),
        values=request.form,
        errors=errors,
    )
    return page, status


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.CLERK)
def import_page() -> Any:
    """A package brought on a disk or by mail: received like one from the inbox."""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            upload = load_form(
                schemas.ImportForm(), CombinedMultiDict([request.form, request.files])
            )["file"]
            accepted = files.import_package(upload.read(), current_user)
        except AppError as error:
            errors, status = _refused(error), error.status
        else:
            if accepted.already_received:
                flash(_("Gói tin này đã được nhận trước đó; không tạo thêm văn bản."), "info")
            else:
                flash(
                    _("Đã nhận gói tin; hệ thống đang kiểm tra chữ ký và tạo văn bản đến."),
                    "success",
                )
            message = operations.imported_message(accepted.message_id)
            return redirect(url_for("exchange.message_detail", pk=message.id))
    return render_template("exchange/import.html", errors=errors), status


def init_pages(app: Flask) -> None:
    app.register_blueprint(bp)
    register_nav_link(
        app, _l("Liên thông"), "exchange.overview", Role.ADMIN.value, Role.CLERK.value
    )
    panels.init_panels(app)
