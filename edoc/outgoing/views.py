"""Outgoing documents in the browser: drafts, review, the leader's signature, issue, recall.

Each form is loaded with the schema its API operation uses (:mod:`edoc.outgoing.schemas`). A
refused action shows the page again with the messages and what was typed, under the refusal's
status, so the request rolls back whatever the action had written (:mod:`edoc.core.db`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from edoc.audit.models import AuditEvent
from edoc.core.auth import login_required, roles_required
from edoc.core.clock import local_today, parse_user_date
from edoc.core.dashboard import LIST_LIMIT, DashboardEntry, DashboardItem
from edoc.core.errors import AppError, error_response
from edoc.core.extensions import db
from edoc.core.forms import load_form
from edoc.directory import services as directory
from edoc.directory.schemas import OrganizationSchema
from edoc.documents import preview
from edoc.documents.models import URGENCY_LABELS, Document, DocumentType
from edoc.documents.views_common import file_response, render_list
from edoc.incoming.services import leaders
from edoc.outgoing import issuing, reports, sending, services, signing
from edoc.outgoing.authority import authority_lines
from edoc.outgoing.models import (
    AUTHORITY_LABELS,
    AUTHORITY_PREFIXES,
    COPY_KINDS,
    OutgoingDocument,
    OutgoingStatus,
)
from edoc.outgoing.schemas import (
    AppendixForm,
    CommentForm,
    CopyForm,
    DraftForm,
    IssueForm,
    OutgoingListArgs,
    RecallForm,
    ReplaceForm,
    ReturnForm,
    SendForm,
    SubmitForm,
    VersionForm,
)
from edoc.users.models import CLEARANCE_LABELS, Role, User

bp = Blueprint("outgoing", __name__, url_prefix="/outgoing")


def _submitted() -> CombinedMultiDict:
    """The form's fields and files together, as the API reads a multipart body."""
    return CombinedMultiDict([request.form, request.files])


def _choices() -> dict[str, Any]:
    return {
        "doc_types": db.session.scalars(select(DocumentType).order_by(DocumentType.name)).all(),
        "urgencies": URGENCY_LABELS,
        # Every level is listed (the scale is ND30's), those above the user's clearance
        # greyed out: they may not register what they could not read.
        "secrecies": CLEARANCE_LABELS,
        "leaders": leaders(),
        "authorities": {p: str(AUTHORITY_LABELS[p]) for p in AUTHORITY_PREFIXES},
    }


def _back(document_id: int) -> Any:
    return redirect(url_for("outgoing.outgoing_detail", document_id=document_id))


def _field_messages(error: AppError) -> dict[str, str]:
    return {k: str(v) for k, v in error.details.items()} if isinstance(error.details, dict) else {}


def _act(document_id: int, action: Callable[[], object], success: str = "") -> Any:
    """Run one form of the document's page: back to the page when it is done (saying
    ``success``); when it is refused, the page again with the messages, what was typed, and
    the refusal's status."""
    try:
        action()
    except AppError as error:
        # A refusal is a 403 page; a document the user may not see is the 404 page of one that
        # does not exist (never a message on a page that would then be refused).
        if error.status == 403 or error.code == "document_not_found":
            raise
        flash(error.message, "error")
        for message in _field_messages(error).values():
            flash(message, "error")
        return _detail_page(document_id, values=request.form, status=error.status)
    if success:
        flash(success, "success")
    return _back(document_id)


@bp.route("/")
@login_required
def outgoing_list() -> Any:
    def lister(args: dict[str, Any]) -> tuple[int, list[Any]]:
        return services.list_outgoing(current_user, services.OutgoingFilter(**args))

    return render_list(
        "outgoing/list.html", OutgoingListArgs(), lister, statuses=list(OutgoingStatus)
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.SPECIALIST, Role.CLERK, Role.LEADER)
def outgoing_new() -> Any:
    if request.method == "GET":
        return _new_page({"copies": "1"})
    try:
        form = load_form(DraftForm(), _submitted())
        upload = form.pop("file")
        outgoing = services.create_draft(services.DraftFields(**form), upload, current_user)
    except AppError as error:
        flash(error.message, "error")
        return _new_page(request.form, _field_messages(error), error.status)
    flash(_("Đã tạo dự thảo."), "success")
    return _back(outgoing.document_id)


def _new_page(values: Any, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    page = render_template("outgoing/new.html", values=values, errors=errors or {}, **_choices())
    return page, status


@bp.route("/<int:document_id>")
@login_required
def outgoing_detail(document_id: int) -> Any:
    return _detail_page(document_id)


def _detail_page(document_id: int, values: Any = None, status: int = 200) -> Any:
    """The document's page; ``values``: what was typed in a form refused a moment ago."""
    outgoing = services.get_outgoing(document_id, current_user)
    history = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "document", AuditEvent.object_id == str(document_id))
        .order_by(AuditEvent.seq)
    ).all()
    organizations = directory.organizations()
    page = render_template(
        "outgoing/detail.html",
        outgoing=outgoing,
        document=outgoing.document,
        history=history,
        values=values or MultiDict(),
        organizations=organizations,
        recipient_groups=directory.recipient_groups([o for o in organizations if not o.internal]),
        appendices=services.files_by_role(outgoing, services.DRAFT_APPENDIX),
        copies=services.files_by_role(outgoing, "copy", "appendix"),
        copy_kinds={k: v for k, v in COPY_KINDS.items() if k != "PL"},
        dispatch_status=sending.dispatch_status_label,
        channel_label=sending.channel_label,
        Status=OutgoingStatus,
        authority_block=_authority_block(outgoing),
        replaces=services.replaced_by(document_id),
        replacement=db.session.get(Document, outgoing.replaced_by_id)
        if outgoing.replaced_by_id
        else None,
        replacement_candidates=services.replacement_candidates(document_id, current_user)
        if outgoing.document.status == OutgoingStatus.ISSUED
        else [],
        **_choices(),
    )
    return page, status


def _authority_block(outgoing: OutgoingDocument) -> list[str]:
    """The signing authority lines as they are (or will be) printed; none while incomplete."""
    try:
        return authority_lines(outgoing)
    except AppError:
        return []


@bp.route("/<int:document_id>/files/<int:file_id>")
@login_required
def outgoing_document_file(document_id: int, file_id: int) -> Any:
    """An appendix or a certified copy of the document (the download is audited)."""
    stored = services.document_file(document_id, file_id, current_user)
    return file_response(stored, inline=request.args.get("inline") == "1")


@bp.route("/<int:document_id>/appendices", methods=["POST"])
@login_required
def outgoing_appendix(document_id: int) -> Any:
    def add() -> object:
        form = load_form(AppendixForm(), _submitted())
        return services.add_appendix(document_id, form["file"], current_user)

    return _act(document_id, add, _("Đã thêm phụ lục."))


@bp.route("/<int:document_id>/appendices/<int:file_id>/seal", methods=["POST"])
@roles_required(Role.CLERK)
def outgoing_appendix_seal(document_id: int, file_id: int) -> Any:
    return _act(
        document_id,
        lambda: issuing.seal_appendix(document_id, file_id, current_user),
        _("Đã ký số cơ quan cho phụ lục."),
    )


@bp.route("/<int:document_id>/send", methods=["POST"])
@roles_required(Role.CLERK)
def outgoing_send(document_id: int) -> Any:
    def send() -> object:
        form = load_form(SendForm(), request.form, lists=("organization_ids",))
        return sending.send_document(document_id, form["organization_ids"], current_user)

    return _act(document_id, send, _("Đã gửi văn bản."))


@bp.route("/<int:document_id>/organizations", methods=["POST"])
@roles_required(Role.CLERK, Role.ADMIN)
def outgoing_organization_new(document_id: int) -> Any:
    """Add an agency to the directory from the sending form, then come back to it."""
    services.get_outgoing(document_id, current_user)

    def add() -> object:
        form = load_form(OrganizationSchema(), request.form)
        return directory.create_organization(actor=current_user, **form)

    return _act(document_id, add, _("Đã thêm cơ quan, tổ chức vào danh bạ."))


@bp.route("/<int:document_id>/copies", methods=["POST"])
@roles_required(Role.CLERK)
def outgoing_copy(document_id: int) -> Any:
    def copy() -> None:
        form = load_form(CopyForm(), _submitted())
        issuing.make_copy(document_id, form["kind"], current_user, form["file"])
        flash(_("Đã tạo %(k)s có ký số cơ quan.", k=COPY_KINDS[form["kind"]].lower()), "success")

    return _act(document_id, copy)


@bp.route("/<int:document_id>/versions", methods=["POST"])
@login_required
def outgoing_version(document_id: int) -> Any:
    def revise() -> object:
        form = load_form(VersionForm(), _submitted())
        return services.add_version(document_id, form["file"], current_user, form["note"])

    return _act(document_id, revise, _("Đã lưu phiên bản mới của dự thảo."))


@bp.route("/<int:document_id>/comments", methods=["POST"])
@login_required
def outgoing_comment(document_id: int) -> Any:
    def comment() -> object:
        form = load_form(CommentForm(), request.form)
        return services.comment(document_id, current_user, form["text"])

    return _act(document_id, comment, _("Đã ghi góp ý."))


@bp.route("/<int:document_id>/submit", methods=["POST"])
@login_required
def outgoing_submit(document_id: int) -> Any:
    def submit() -> object:
        form = load_form(SubmitForm(), request.form)
        return services.submit(document_id, current_user, form["signer_id"])

    return _act(document_id, submit, _("Đã trình lãnh đạo ký."))


@bp.route("/issue", methods=["POST"])
@roles_required(Role.CLERK)
def outgoing_issue() -> Any:
    """Number, date and agency seal for the selected leader-signed documents.

    Issuing several at once goes on past a document that fails (each is told apart); a refusal
    of the whole batch (no agency token) is the error page, or the document's page for one."""
    ids = load_form(IssueForm(), request.form, lists=("document_ids",))["document_ids"]
    if len(ids) == 1:
        return _act(ids[0], lambda: _flash_issued(issuing.issue(ids, current_user)))
    _flash_issued(issuing.issue(ids, current_user))
    return redirect(url_for("outgoing.outgoing_list", status=OutgoingStatus.ISSUED.value))


def _flash_issued(result: dict[str, Any]) -> None:
    for item in result["issued"]:
        flash(_("Đã phát hành văn bản số %(n)s.", n=item["number_notation"]), "success")
    for message in result["failed"].values():
        flash(message, "error")


@bp.route("/<int:document_id>/recall", methods=["POST"])
@roles_required(Role.CLERK, Role.LEADER)
def outgoing_recall(document_id: int) -> Any:
    def recall() -> object:
        form = load_form(RecallForm(), request.form)
        return services.recall(document_id, current_user, form["reason"])

    return _act(document_id, recall, _("Đã thu hồi văn bản và thông báo nơi nhận."))


@bp.route("/<int:document_id>/replace", methods=["POST"])
@roles_required(Role.CLERK, Role.LEADER)
def outgoing_replace(document_id: int) -> Any:
    def replace() -> object:
        form = load_form(ReplaceForm(), request.form)
        return services.replace(document_id, form["replacement_id"], current_user, form["reason"])

    return _act(
        document_id, replace, _("Đã thay thế văn bản và gửi văn bản thay thế đến nơi nhận.")
    )


@bp.route("/<int:document_id>/file")
@login_required
def outgoing_file(document_id: int) -> Any:
    """The document's file: the current version of a draft, else its signed main file (the
    download of a signed file is audited)."""
    outgoing = services.get_outgoing(document_id, current_user)
    inline = request.args.get("inline") == "1"
    main = outgoing.document.main_file
    if main is None:  # a draft: its current version
        return file_response(outgoing.current_version, inline=inline)
    return file_response(services.document_file(document_id, main.id, current_user), inline=inline)


@bp.route("/<int:document_id>/pages/<int:page>.png")
@login_required
def outgoing_page(document_id: int, page: int) -> Any:
    """One page of the file :func:`outgoing_file` would serve, as a PNG for the in-page viewer.

    Only for those who may see the document (:func:`services.get_outgoing`: its readers while
    it is a draft, and the cleared for a secret one; everyone else gets the 404 of a document
    that does not exist). ``v`` is the SHA-256 of the version the page showed: a draft revised
    since is refused, so the leader never reads pages of a text other than the one the page
    signs. The reading of a secret document is audited once per reader and version
    (:func:`services.page_viewed`); the file itself is not handed over."""
    outgoing = services.get_outgoing(document_id, current_user)
    stored = services.shown_file(outgoing)
    shown = request.args.get("v")
    if shown and shown != stored.sha256:
        return error_response(
            "draft_version_changed",
            _("Dự thảo đã có phiên bản mới, hãy tải lại trang để đọc bản mới trước khi ký."),
            409,
        )
    width = preview.width_step(request.args.get("w", type=int))
    try:
        png = preview.page_png(stored.sha256, page, width, outgoing.document.page_count)
    except preview.PreviewFailed as error:  # the viewer shows this message in place of the page
        return error_response(error.code, error.message, error.status)
    services.page_viewed(outgoing, current_user, stored)
    response = send_file(png, mimetype="image/png", max_age=0)
    # The URL names the document, not the file: a new version is a new ``v``, and the private
    # cache keeps an image no longer than a working day.
    response.headers["Cache-Control"] = "private, max-age=28800"
    return response


@bp.route("/<int:document_id>/return", methods=["POST"])
@roles_required(Role.LEADER)
def outgoing_return(document_id: int) -> Any:
    """The signing leader sends the draft back to its drafter with what to change."""

    def give_back() -> object:
        form = load_form(ReturnForm(), request.form)
        return services.return_to_drafter(document_id, current_user, form["comment"])

    return _act(document_id, give_back, _("Đã trả lại dự thảo cho người soạn thảo."))


@bp.route("/sign")
@roles_required(Role.LEADER)
def sign_page() -> Any:
    """The leader's drafts waiting for a signature, signed through the local agent.

    Nothing is ticked: each draft is read in the page's viewer first (``?open=<id>`` opens one,
    from the draft's own page)."""
    drafts = signing.waiting_for(current_user)
    return render_template(
        "outgoing/sign.html",
        drafts=drafts,
        titles={o.document_id: signing.signed_under_title(o, current_user) for o in drafts},
        fold_title=signing.fold_title,
        open_id=request.args.get("open", type=int),
        signer_url=current_app.config["EDOC"].signer_url,
        origin=request.host_url.rstrip("/"),
    )


def _entries(
    documents: list[OutgoingDocument], note: Callable[[OutgoingDocument], str]
) -> tuple[DashboardEntry, ...]:
    return tuple(
        DashboardEntry(
            o.document.subject,
            url_for("outgoing.outgoing_detail", document_id=o.document_id),
            note(o),
        )
        for o in documents[:LIST_LIMIT]
    )


def dashboard_items(user: User) -> list[DashboardItem]:
    """What waits for the leader (drafts to sign) and for the clerk (signed, to issue), each
    with its first documents."""
    items = []
    if user.has_role(Role.LEADER):
        drafts = signing.waiting_for(user)
        url = url_for("outgoing.sign_page")
        entries = _entries(drafts, lambda o: _("soạn thảo: %(n)s", n=o.drafter.full_name))
        items.append(
            DashboardItem(
                Role.LEADER.label, _("Dự thảo chờ ký số"), len(drafts), url, bool(drafts), entries
            )
        )
    if user.has_role(Role.CLERK):
        signed = services.OutgoingFilter(status=OutgoingStatus.SIGNED, per_page=LIST_LIMIT)
        total, rows = services.list_outgoing(user, signed)
        url = url_for("outgoing.outgoing_list", status=OutgoingStatus.SIGNED.value)
        title = _("Văn bản đã ký chờ cấp số, phát hành")
        entries = _entries(rows, lambda o: o.signer.full_name if o.signer else "")
        items.append(DashboardItem(Role.CLERK.label, title, total, url, total > 0, entries))
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
    refused = bool(request.args.get("format"))
    if refused:
        flash(
            _("Khoảng ngày không hợp lệ: cần từ ngày và đến ngày, từ ngày không sau đến ngày."),
            "error",
        )
    today = local_today()
    return render_template(
        "outgoing/register.html", default_from=date(today.year, 1, 1), default_to=today
    ), (422 if refused else 200)
