"""Exchange follows what happens to documents: a dispatch to another system queues its package,
a recall or replacement queues a revoke or the new document, and what the clerk and the handlers
do to a document that came by exchange goes back to its sender as statuses 03-06 and 02."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from edoc.core.extensions import db
from edoc.core.signals import document_event
from edoc.exchange import outbox
from edoc.exchange.models import Direction, ExchangeMessage, MessageKind, MessageState
from edoc.exchange.queueing import already_told, queue_document, queue_status
from edoc.incoming.models import HandlingTask
from edoc.outgoing.sending import register_dispatch_status_labels

DISPATCH_LABELS = {
    "queued": _l("Đang chờ gửi liên thông"),
    "held": _l("Chưa có đường gửi liên thông"),
    "failed": _l("Gửi liên thông thất bại"),
    "arrived": _l("Đã đến"),
    "refused": _l("Bị từ chối tiếp nhận"),
    "accepted": _l("Đã tiếp nhận"),
    "assigned": _l("Đã phân công"),
    "in_progress": _l("Đang xử lý"),
    "done": _l("Đã hoàn thành"),
}


#: What happens here to an exchanged incoming document that its sender is told (a status).
TOLD_TO_SENDER = frozenset(
    {
        "incoming.registered",
        "incoming.routed",
        "incoming.task_progress",
        "incoming.task_done",
        "incoming.returned",
    }
)


def _exchanged_incoming(document_id: int) -> ExchangeMessage | None:
    return db.session.scalar(
        select(ExchangeMessage)
        .where(
            ExchangeMessage.document_id == document_id,
            ExchangeMessage.direction == Direction.IN,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
            ExchangeMessage.state == MessageState.PROCESSED,
        )
        .order_by(ExchangeMessage.id.desc())
        .limit(1)
    )


def on_document_event(action: str, *, actor: Any, document_id: int, details: dict) -> None:
    """Sent statuses follow what happens here to a document that came by exchange, and a
    dispatch to another system queues its package; runs in the change's transaction."""
    if action == "outgoing.sent":
        if details.get("channel") == "edxml" and details.get("organ_code"):
            queue_document(
                document_id, details["organ_code"], dispatch_id=details.get("dispatch_id")
            )
        return
    if action == "outgoing.recalled":
        _queue_recall(document_id, details.get("reason", ""), details.get("replaced_by"))
        return
    if action not in TOLD_TO_SENDER:  # no query for what the sender is never told
        return
    message = _exchanged_incoming(document_id)
    if message is None:
        return
    if action == "incoming.registered":
        queue_status(message, "03", arrival_number=str(details.get("number") or ""))
    elif action == "incoming.routed" and not already_told(message, "04"):
        queue_status(message, "04", details.get("direction") or "")
    elif action == "incoming.task_progress" and not already_told(message, "05"):
        queue_status(message, "05", details.get("text") or "")
    elif action == "incoming.task_done":
        task = db.session.get(HandlingTask, details.get("task_id"))
        if task is not None and task.kind == "lead" and not already_told(message, "06"):
            queue_status(message, "06", details.get("text") or "")
    elif action == "incoming.returned":
        queue_status(message, "02", details.get("reason") or "")


def _queue_recall(document_id: int, reason: str, replaced_by: int | None) -> None:
    """Business type 1 (revoke) — or 3 (replace), carrying the replacing document — to every
    system the document went to; a package that never left is given up instead."""
    sent = db.session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.document_id == document_id,
            ExchangeMessage.direction == Direction.OUT,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
            ExchangeMessage.business_type.in_((0, 2, 3)),
        )
    ).all()
    now = outbox.wall_clock()
    for original in sent:
        in_flight = original.claimed_until is not None and original.claimed_until > now
        never_left = original.state in (
            MessageState.PENDING,
            MessageState.FAILED,
            MessageState.HELD,
        )
        if never_left and not in_flight:
            # Nothing reached the recipient: stop it rather than send a revoke that could arrive
            # first (a failed original goes out of order) and a retry that would bring it back.
            original.state = MessageState.GIVEN_UP
            original.next_attempt_at = None
            original.last_error = _("Văn bản đã bị thu hồi trước khi gửi được: không gửi nữa.")
            if replaced_by:  # the recipient never had the old one: the new one goes as new
                queue_document(replaced_by, original.to_organ, dispatch_id=original.dispatch_id)
            continue
        queue_document(
            replaced_by or document_id,
            original.to_organ,
            dispatch_id=original.dispatch_id,
            business_type=3 if replaced_by else 1,
            replaces_message_id=original.message_id,
        )


def init_listeners() -> None:
    """Listen to document events and name the exchange dispatch statuses (at app start)."""
    document_event.connect(_on_event, weak=False)
    register_dispatch_status_labels(DISPATCH_LABELS)


def _on_event(sender: str, **kwargs: Any) -> None:
    on_document_event(sender, **kwargs)
