"""The operator's view and actions on packages: find one, retry, give up (with a reason), the
queues per next hop, a dispatch's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from edoc.audit.services import Actor, record
from edoc.core.errors import AppError, Conflict, NotFound, ValidationError
from edoc.core.extensions import db
from edoc.exchange import outbox
from edoc.exchange.models import Direction, ExchangeMessage, ExchangeStatusEvent, MessageState
from edoc.exchange.queueing import route_state, tell_origin_refused


def get_message(message_id: str, direction: str | None = None) -> ExchangeMessage:
    """The first row recorded of package ``message_id`` (in ``direction`` when given): to
    show a package, whose page leads to its other rows. Never to act on one: a package naming
    several addressees is one row per addressee, so ``sent_message`` picks the row to act on."""
    query = select(ExchangeMessage).where(ExchangeMessage.message_id == message_id)
    if direction:
        query = query.where(ExchangeMessage.direction == direction)
    message = db.session.scalar(query.order_by(ExchangeMessage.id).limit(1))
    if message is None:
        raise NotFound("message_not_found", _("Không tìm thấy gói tin %(m)s.", m=message_id))
    return message


def imported_message(message_id: str) -> ExchangeMessage:
    """The row to show for a package just imported: the one addressed to this installation,
    else (a hub importing for its members) the first of those it forwards."""
    received = db.session.scalar(
        select(ExchangeMessage.id).where(
            ExchangeMessage.message_id == message_id, ExchangeMessage.direction == Direction.IN
        )
    )
    return get_message(message_id, Direction.IN if received else None)


def sent_message(message_id: str, to_organ: str | None = None) -> ExchangeMessage:
    """The row of package ``message_id`` this installation sends (out) or forwards to
    ``to_organ``, for the operator's retry and give-up. A hub keeps one forward row per
    addressee (and may hold the package as received too): without ``to_organ`` the package
    must have one such row, otherwise it is refused naming the addressees, so that an action
    never lands on a row the operator did not mean."""
    query = select(ExchangeMessage).where(
        ExchangeMessage.message_id == message_id,
        ExchangeMessage.direction.in_((Direction.OUT, Direction.FORWARD)),
    )
    if to_organ:
        query = query.where(ExchangeMessage.to_organ == to_organ)
    rows = list(db.session.scalars(query.order_by(ExchangeMessage.id)))
    if not rows:
        raise NotFound(
            "message_not_found",
            _("Không tìm thấy gói tin %(m)s gửi đi hoặc chuyển tiếp.", m=message_id)
            if not to_organ
            else _(
                "Không tìm thấy gói tin %(m)s gửi đi hoặc chuyển tiếp tới %(to)s.",
                m=message_id,
                to=to_organ,
            ),
        )
    if len(rows) > 1:
        addressees = sorted({row.to_organ for row in rows})
        raise Conflict(
            "message_ambiguous",
            _(
                "Gói tin %(m)s có nhiều nơi nhận: %(to)s. Hãy chọn một nơi nhận (--to).",
                m=message_id,
                to=", ".join(addressees),
            ),
        )
    return rows[0]


def retry(message: ExchangeMessage, actor: Actor) -> ExchangeMessage:
    """Send a failed (or waiting, held or exported) package again now, by its route."""
    if message.direction not in (Direction.OUT, Direction.FORWARD) or message.state not in (
        MessageState.FAILED,
        MessageState.PENDING,
        MessageState.HELD,
        MessageState.EXPORTED,
    ):
        raise AppError("not_retryable", _("Gói tin này không thể gửi lại."), 409)
    if not_checked_yet(message):
        raise AppError(
            "not_checked",
            _(
                "Gói tin chuyển tiếp này lỗi khi đang được kiểm tra, chưa được kiểm tra xong "
                "nên không thể gửi tiếp cho đơn vị nhận."
            ),
            409,
        )
    message.next_attempt_at = None
    if message.state == MessageState.FAILED:
        message.attempts = 0
    route_state(message)
    record(
        "exchange.retried",
        actor=actor,
        object_type="exchange_message",
        object_id=message.id,
        message_id=message.message_id,
    )
    return message


def not_checked_yet(message: ExchangeMessage) -> bool:
    """A forward that failed before its result was applied: its package was never checked
    against the origin's certificate or traced (failed while checking: no verification kept;
    while applying: its verdict still kept), so it must not be sent on to the member as
    received. Applied forwards have their verification kept and their verdict cleared."""
    return (
        message.direction == Direction.FORWARD
        and message.state == MessageState.FAILED
        and (message.verification is None or message.verdict is not None)
    )


def retry_all_failed(actor: Actor) -> int:
    """Send every failed or waiting package again now, but a forward never checked
    (:func:`not_checked_yet`); how many were queued."""
    queued = db.session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.state.in_((MessageState.FAILED, MessageState.PENDING)),
            ExchangeMessage.direction.in_((Direction.OUT, Direction.FORWARD)),
        )
    ).all()
    failed = [message for message in queued if not not_checked_yet(message)]
    for message in failed:
        retry(message, actor)
    return len(failed)


def give_up(message: ExchangeMessage, reason: str, actor: Actor) -> ExchangeMessage:
    if not reason.strip():
        raise ValidationError("reason_required", _("Cần nêu lý do ngừng gửi."))
    if message.state not in (MessageState.FAILED, MessageState.PENDING, MessageState.HELD):
        raise AppError("not_pending", _("Gói tin này không còn chờ gửi."), 409)
    if message.claimed_until is not None and message.claimed_until > outbox.wall_clock():
        raise AppError(
            "in_flight",
            _("Gói tin đang được gửi đi. Xem lại kết quả sau ít phút rồi mới ngừng gửi."),
            409,
        )
    message.state = MessageState.GIVEN_UP
    message.last_error = reason.strip()
    message.next_attempt_at = None
    tell_origin_refused(message, reason.strip())
    record(
        "exchange.given_up",
        actor=actor,
        object_type="exchange_message",
        object_id=message.id,
        message_id=message.message_id,
        reason=reason.strip(),
    )
    return message


@dataclass(frozen=True)
class QueueLine:
    hop: str
    pending: int
    failed: int
    held: int
    oldest: datetime | None
    last_error: str


def queue_report() -> list[QueueLine]:
    """Per next hop: waiting, failed and held packages, the oldest, the last error."""
    rows = db.session.execute(
        select(
            func.coalesce(ExchangeMessage.hop, ExchangeMessage.to_organ),
            ExchangeMessage.state,
            func.count(),
            func.min(ExchangeMessage.created_at),
        )
        .where(
            ExchangeMessage.state.in_(
                (MessageState.PENDING, MessageState.FAILED, MessageState.HELD)
            )
        )
        .group_by(
            func.coalesce(ExchangeMessage.hop, ExchangeMessage.to_organ), ExchangeMessage.state
        )
    ).all()
    lines: dict[str, dict[str, Any]] = {}
    for hop, state, count, oldest in rows:
        line = lines.setdefault(hop, {"pending": 0, "failed": 0, "held": 0, "oldest": None})
        line[state] = count
        line["oldest"] = min(filter(None, [line["oldest"], oldest]), default=None)
    result = []
    for hop, line in sorted(lines.items()):
        error = db.session.scalar(
            select(ExchangeMessage.last_error)
            .where(
                func.coalesce(ExchangeMessage.hop, ExchangeMessage.to_organ) == hop,
                ExchangeMessage.last_error != "",
            )
            .order_by(ExchangeMessage.id.desc())
            .limit(1)
        )
        result.append(
            QueueLine(
                hop, line["pending"], line["failed"], line["held"], line["oldest"], error or ""
            )
        )
    return result


def timeline(dispatch_id: int) -> list[ExchangeStatusEvent]:
    """The statuses the recipient's system sent about one dispatch, oldest first."""
    return list(
        db.session.scalars(
            select(ExchangeStatusEvent)
            .join(ExchangeMessage, ExchangeMessage.id == ExchangeStatusEvent.message_pk)
            .where(ExchangeMessage.dispatch_id == dispatch_id)
            .order_by(ExchangeStatusEvent.occurred_at, ExchangeStatusEvent.id)
        )
    )


def messages_for_document(document_id: int) -> list[ExchangeMessage]:
    return list(
        db.session.scalars(
            select(ExchangeMessage)
            .where(ExchangeMessage.document_id == document_id)
            .order_by(ExchangeMessage.id)
        )
    )
