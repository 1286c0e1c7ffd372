"""Sending issued documents to their recipients, and what a recipient here sees of a recall.

Above :mod:`edoc.outgoing.services` (it reads documents through it; the recall itself, which
marks the dispatches, lives there) and above ``incoming``, whose one way in receives what is
sent to an agency served by this installation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from edoc.core.errors import AppError, Conflict, Forbidden
from edoc.core.extensions import db
from edoc.directory.models import Organization
from edoc.documents.files import CheckedFile
from edoc.documents.records import audit
from edoc.incoming.intake import check_stored_pdf
from edoc.incoming.models import ReceivedVia
from edoc.incoming.services import IncomingFields, Source, receive
from edoc.outgoing.models import Dispatch, OutgoingDocument, OutgoingStatus
from edoc.outgoing.services import get_outgoing
from edoc.users.models import Role, User

DISPATCH_STATUS_LABELS = {
    "sent": _l("Đã gửi"),
    "delivered": _l("Đã nhận"),
    "recalled": _l("Đã thu hồi"),
}
CHANNEL_LABELS = {
    "internal": _l("Nội bộ hệ thống"),
    "edxml": _l("Liên thông (edXML)"),
    "paper": _l("Bản giấy"),
}


def dispatch_status_label(status: str) -> str:
    return str(DISPATCH_STATUS_LABELS.get(status, status))


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def send_document(document_id: int, organization_ids: list[int], clerk: User) -> list[Dispatch]:
    """The clerk sends an issued document: to all recipients, or to none."""
    if not clerk.has_role(Role.CLERK):
        raise Forbidden("not_clerk", _("Chỉ văn thư được gửi văn bản."))
    outgoing = get_outgoing(document_id, clerk)
    if outgoing.status != OutgoingStatus.ISSUED:  # before the slow check below
        raise AppError("not_issued", _("Chỉ gửi được văn bản đã phát hành."), 409)
    wanted = sorted(set(organization_ids))
    if not wanted:
        raise AppError("recipients_required", _("Cần chọn ít nhất một nơi nhận."), 422)
    # The slow signature check first, with no transaction open: the checks below then see the
    # state as it is when the dispatches are written (a double click cannot send twice).
    receipt = _receipt_check(outgoing) if _any_recipient(wanted, internal=True) else None
    found = {
        o.id: o
        for o in db.session.scalars(
            select(Organization).where(Organization.id.in_(wanted), Organization.active.is_(True))
        )
    }
    if len(found) != len(wanted):
        raise AppError("unknown_recipient", _("Nơi nhận không có trong danh bạ."), 422)
    already = sorted(
        d.recipient
        for d in outgoing.dispatches
        if d.status != "recalled" and d.recipient in {o.name for o in found.values()}
    )
    if already:
        raise Conflict(
            "already_sent",
            _("Văn bản đã được gửi đến: %(names)s.", names=", ".join(already)),
        )
    # A savepoint, so that a delivery refused midway takes the earlier ones with it even for a
    # caller that goes on reading (the page shown with the refusal).
    with db.session.begin_nested():
        return send(outgoing, wanted, clerk, receipt)


def send(
    outgoing: OutgoingDocument,
    organization_ids: list[int],
    actor: User,
    receipt: CheckedFile | None = None,
) -> list[Dispatch]:
    """Record one dispatch per recipient; internal recipients receive it as incoming mail,
    through ``incoming``'s one way in (its checks, its signature rule, its audit entry).

    ``receipt``: the main file as the receiving side checked it; checked here (outside any
    transaction, so the caller must not have written yet) when not given.
    """
    if receipt is None and _any_recipient(organization_ids, internal=True):
        receipt = _receipt_check(outgoing)
    if outgoing.status != OutgoingStatus.ISSUED:
        raise AppError("not_issued", _("Chỉ gửi được văn bản đã phát hành."), 409)
    document = outgoing.document
    if document.secrecy > 0 and _any_recipient(organization_ids, internal=False):
        # State secrets do not travel over the ordinary network (Luật Bảo vệ bí mật nhà nước):
        # edXML exchange carries no secret document; the paper copy goes by the secret post.
        raise AppError(
            "secret_not_exchangeable",
            _(
                "Văn bản mật không được gửi qua liên thông điện tử đến cơ quan ngoài hệ thống; "
                "hãy gửi bản giấy theo quy định về bảo vệ bí mật nhà nước."
            ),
            422,
        )
    dispatches = []
    for organization in db.session.scalars(
        select(Organization).where(Organization.id.in_(organization_ids))
    ):
        dispatch = Dispatch(
            recipient=organization.name, channel="internal" if organization.internal else "edxml"
        )
        if organization.internal:
            assert receipt is not None
            fields = IncomingFields(
                sender_org=document.issuer_org,
                number_notation=document.number_notation,
                doc_type=document.doc_type_code,
                subject=document.subject,
                received_via=ReceivedVia.ELECTRONIC,
                issued_date=document.issued_date,
                signer_name=document.signer_name,
                signer_title=document.signer_title,
                urgency=document.urgency,
                secrecy=document.secrecy,
                page_count=document.page_count,
                recipient=organization.name,
            )
            received = receive(fields, receipt, actor, register_now=False, source=Source.DISPATCH)
            dispatch.incoming_document_id = received.document_id
            dispatch.status = "delivered"
        outgoing.dispatches.append(dispatch)
        dispatches.append(dispatch)
        db.session.flush()  # the dispatch's id, for those following the sending (exchange)
        audit(
            "outgoing.sent",
            actor,
            document.id,
            recipient=organization.name,
            organ_code=organization.code,
            dispatch_id=dispatch.id,
            channel=dispatch.channel,
        )
    return dispatches


def set_dispatch_status(dispatch_id: int, status: str, note: str | None = None) -> Dispatch:
    """What the recipient's system reported about a dispatch (the exchange area's statuses:
    arrived, accepted, refused …); their labels are registered with
    :func:`register_dispatch_status_labels`. A recalled dispatch stays recalled."""
    dispatch = db.session.get(Dispatch, dispatch_id)
    if dispatch is None:
        raise ValueError(f"no dispatch {dispatch_id}")
    if dispatch.status == "recalled":  # final: a status still on its way does not undo it
        return dispatch
    dispatch.status = status
    if note is not None:
        dispatch.note = note
    return dispatch


def register_dispatch_status_labels(labels: dict[str, Any]) -> None:
    """Labels of the statuses an upper area (exchange) sets, so lists here can show them."""
    for status, label in labels.items():
        DISPATCH_STATUS_LABELS.setdefault(status, label)


def _any_recipient(organization_ids: list[int], *, internal: bool) -> bool:
    """Whether any of these agencies is served here (``internal``) — or is not."""
    return bool(
        db.session.scalar(
            select(func.count()).where(
                Organization.id.in_(organization_ids), Organization.internal.is_(internal)
            )
        )
    )


def _receipt_check(outgoing: OutgoingDocument) -> CheckedFile:
    """The receiving side checks the file and its signatures itself, as for any electronic
    receipt (slow: runs with no transaction open)."""
    main = outgoing.document.main_file
    if main is None:
        raise AppError("file_missing", _("Văn bản chưa có tệp để gửi."), 409)
    return check_stored_pdf(main.sha256, main.filename, validate_signatures=True, size=main.size)


@dataclass
class RecallNotice:
    """What the receiving side is told when the sender recalls a document it received."""

    sender: str
    number_notation: str
    reason: str
    recalled_at: datetime | None
    replaced: bool


def recall_notice(incoming_document_id: int) -> RecallNotice | None:
    """The sender's recall of a document delivered here, if it was recalled."""
    dispatch = db.session.scalar(
        select(Dispatch)
        .where(
            Dispatch.incoming_document_id == incoming_document_id,
            Dispatch.status == "recalled",
        )
        .order_by(Dispatch.id.desc())
        .limit(1)
    )
    if dispatch is None:
        return None
    outgoing = db.session.get(OutgoingDocument, dispatch.document_id)
    return RecallNotice(
        sender=outgoing.document.issuer_org,
        number_notation=outgoing.document.number_notation,
        reason=dispatch.note or outgoing.recall_reason,
        recalled_at=outgoing.recalled_at,
        replaced=outgoing.status == OutgoingStatus.REPLACED,
    )
