"""Queueing packages in the transaction of the change they report: a document to another
agency's system, a status back to where a document came from; and the route each takes next
(held while there is none)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from edoc.audit.services import Operator
from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.exchange import edxml, outbox, packages, peers
from edoc.exchange.models import (
    Direction,
    ExchangeMessage,
    ExchangeStatusEvent,
    MessageKind,
    MessageState,
)
from edoc.outgoing.sending import set_dispatch_status

WORKER = "exchange.worker"


def worker_operator() -> Operator:
    """Who the audit log names for what the exchange worker does."""
    return Operator.task(WORKER)


def organ_id() -> str:
    """This installation's organ code (mã định danh), the ``From`` of what it sends."""
    return current_app.config["EDOC"].organ_id


def route_state(message: ExchangeMessage) -> None:
    """Pending by the route to its organ (the peer, or the hub), or held while there is none;
    the worker is asked to run."""
    route = peers.route_for(message.to_organ)
    if route is None:
        message.state = MessageState.HELD
        message.hop = None
        message.last_error = _(
            "Chưa có đường gửi liên thông đến %(o)s: chưa khai báo hệ thống của cơ quan này "
            "hay trục liên thông (hub). Có thể xuất tệp .edxml để gửi, hoặc gói tin sẽ được gửi "
            "khi có cấu hình kết nối.",
            o=message.to_organ,
        )
    else:
        message.state = MessageState.PENDING
        message.hop = route.organ_code
        message.last_error = ""
    outbox.ask_for_drain()


def queue_document(
    document_id: int,
    to_organ: str,
    *,
    dispatch_id: int | None = None,
    business_type: int = 0,
    replaces_message_id: str | None = None,
) -> ExchangeMessage:
    """A document package to ``to_organ``, waiting for the worker (built and sealed there)."""
    document = db.session.get(Document, document_id)
    message = ExchangeMessage(
        message_id=packages.new_message_id(),
        direction=Direction.OUT,
        kind=MessageKind.DOCUMENT,
        business_type=business_type,
        from_organ=organ_id(),
        to_organ=to_organ,
        document_id=document_id,
        dispatch_id=dispatch_id,
        replaces_message_id=replaces_message_id,
        code=document.number_notation,
        promulgation_date=document.issued_date,
        subject=document.subject,
        state=MessageState.PENDING,
    )
    unsendable = _unsendable(to_organ)
    if document.issued_date and not unsendable:
        try:
            message.edxml_document_id = edxml.document_id_for(
                organ_id(), document.issued_date, document.number_notation
            )
        except edxml.EdxmlError as error:
            unsendable = cannot_build(error)
    if unsendable:
        message.state = MessageState.FAILED
        message.last_error = unsendable
    else:
        route_state(message)
    db.session.add(message)
    db.session.flush()
    if dispatch_id is not None and message.state in (MessageState.HELD, MessageState.FAILED):
        set_dispatch_status(dispatch_id, message.state, message.last_error)
    elif dispatch_id is not None and business_type == 0:
        set_dispatch_status(dispatch_id, "queued")
    return message


def _unsendable(to_organ: str) -> str:
    """Why no edXML package can name ``to_organ`` (a legacy directory code), or ""."""
    if edxml.is_organ_id(to_organ):
        return ""
    return _(
        "Không gửi liên thông được: mã cơ quan nhận %(o)s không đúng dạng mã định danh "
        "(000.00.00.H30). Cần sửa mã trong danh bạ rồi gửi lại, hoặc gửi bằng cách khác.",
        o=to_organ,
    )


def cannot_build(error: edxml.EdxmlError) -> str:
    """Why a package could not be built, in the operator's words."""
    return _("Không lập được gói tin edXML: %(e)s", e=error.message)


def queue_status(
    about: ExchangeMessage,
    code: str,
    description: str = "",
    *,
    arrival_number: str = "",
    occurred_at: datetime | None = None,
) -> ExchangeMessage:
    """Status ``code`` about the package ``about`` back to its origin, and on its timeline."""
    message = ExchangeMessage(
        message_id=packages.new_message_id(),
        direction=Direction.OUT,
        kind=MessageKind.STATUS,
        from_organ=organ_id(),
        to_organ=about.from_organ,
        document_id=about.document_id,
        about_message_id=about.message_id,
        code=about.code,
        promulgation_date=about.promulgation_date,
        edxml_document_id=about.edxml_document_id,
        subject=about.subject,
        status_code=code,
        state=MessageState.PENDING,
    )
    route_state(message)
    db.session.add(message)
    db.session.flush()
    add_event(
        about,
        code,
        description,
        status_message_id=message.message_id,
        arrival_number=arrival_number,
        occurred_at=occurred_at,
    )
    return message


def add_event(
    about: ExchangeMessage,
    code: str,
    description: str = "",
    *,
    status_message_id: str | None = None,
    arrival_number: str = "",
    occurred_at: datetime | None = None,
) -> None:
    """One step on the timeline of package ``about``: a status sent or received about it (by
    the status package ``status_message_id``), or a refusal at the recipient's door (none)."""
    db.session.add(
        ExchangeStatusEvent(
            message_pk=about.id,
            status_message_id=status_message_id,
            status_code=code,
            description=description,
            arrival_number=arrival_number,
            occurred_at=occurred_at or utcnow(),
        )
    )


def release_held() -> int:
    """Held packages whose organ now has a route (a peer or hub configured since) go out."""
    released = 0
    for message in db.session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.direction == Direction.OUT,
            ExchangeMessage.state == MessageState.HELD,
        )
    ):
        if peers.route_for(message.to_organ) is not None:
            route_state(message)
            released += 1
    return released


def already_told(message: ExchangeMessage, code: str) -> bool:
    return any(event.status_code == code for event in message.events)


def tell_origin_refused(message: ExchangeMessage, reason: str) -> None:
    """A document taken in here that will not arrive: at a hub, a forward refused by its
    member, out of attempts or given up; anywhere, a package whose handling failed at every
    attempt. Its origin hears it as 02 with the reason, like any refusal, once; a package this
    installation sends (out) has no origin to tell, and a recall none to answer with 02 (the
    origin would take it for its original document refused)."""
    taken_in = message.direction in (Direction.IN, Direction.FORWARD)
    document = message.kind == MessageKind.DOCUMENT and message.business_type != outbox.RECALL
    if taken_in and document and not already_told(message, "02"):
        queue_status(message, "02", reason)
