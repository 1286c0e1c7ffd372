"""Document events become webhook deliveries, written in the change's own transaction.

:data:`edoc.core.signals.document_event` is sent inside the transaction of the change it
announces; the receiver adds one :class:`WebhookDelivery` per active subscription that asked
for the event, so the delivery commits with the change or rolls back with it: no event is lost
when the receiver is down, none is sent for a change that did not happen.

The payload is a snapshot taken now (a later change does not rewrite an earlier event). A
secret document (secrecy > 0) is announced by its id and secrecy only: its subject, number,
sender and signer never leave the installation through a webhook, whatever the receiver's
own clearance, because a webhook has no reader whose clearance could be checked.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.documents.agency import agency_name
from edoc.documents.models import Direction, Document
from edoc.integrations.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

#: Set on the session when deliveries were written: the request asks for a drain at its end.
FLAG = "webhook_deliveries_written"

_BY_ACTION = {
    "incoming.received": WebhookEvent.RECEIVED,
    "incoming.registered": WebhookEvent.REGISTERED,
    "incoming.routed": WebhookEvent.ASSIGNED,
    "outgoing.issued": WebhookEvent.ISSUED,
    "outgoing.recalled": WebhookEvent.RECALLED,
}


def event_for(action: str, details: dict[str, Any]) -> WebhookEvent | None:
    """The webhook event an audited document action means, if any. A handling task done is
    ``document.done`` only when it completed the document (the lead task). Records of the
    past brought in by ``edoc import-legacy`` (``source: legacy``) are no news: none."""
    if details.get("source") == "legacy":
        return None
    if action == "incoming.task_done":
        return WebhookEvent.DONE if details.get("document_done") else None
    return _BY_ACTION.get(action)


def iso(moment: datetime) -> str:
    """Naive UTC from the database as ISO 8601 with its offset."""
    return moment.replace(tzinfo=UTC).isoformat()


def document_summary(document: Document) -> dict[str, Any]:
    """What a receiver learns about the document (nothing but id and secrecy when secret)."""
    summary: dict[str, Any] = {
        "id": document.id,
        "direction": document.direction,
        "status": document.status,
        "secrecy": document.secrecy,
        "secret": document.secrecy > 0,
    }
    if document.secrecy > 0:
        return summary
    issuer = document.issuer_org
    if document.direction == Direction.OUTGOING and not issuer:
        issuer = agency_name()
    return summary | {
        "number_notation": document.number_notation or None,
        "subject": document.subject,
        "issuer": issuer or None,
        "doc_type": document.doc_type_code,
        "issued_date": document.issued_date.isoformat() if document.issued_date else None,
        "urgency": document.urgency,
    }


def queue(
    subscription: WebhookSubscription, event: dict[str, Any], document_id: int | None
) -> None:
    """One delivery of ``event`` to ``subscription`` in the caller's transaction."""
    db.session.add(
        WebhookDelivery(
            subscription_id=subscription.id,
            event_id=event["id"],
            event_type=event["type"],
            document_id=document_id,
            payload=event,
            status=DeliveryStatus.PENDING,
        )
    )
    db.session.info[FLAG] = True


def new_event(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": kind, "occurred_at": iso(utcnow()), **data}


def _on_document_event(action: str, *, document_id: int, details: dict[str, Any], **_: Any) -> None:
    kind = event_for(action, details)
    if kind is None:
        return
    listening = [
        s
        for s in db.session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.active.is_(True))
            .order_by(WebhookSubscription.id)
        )
        if kind.value in s.events
    ]
    if not listening:
        return
    document = db.session.get(Document, document_id)
    if document is None:  # an audit entry about a document not in this database: nothing to say
        return
    event = new_event(kind.value, {"document": document_summary(document)})
    for subscription in listening:
        queue(subscription, event, document_id)


def connect(signal: Any) -> None:
    """Listen to ``document_event`` (idempotent: blinker keeps one connection per receiver)."""
    signal.connect(_on_document_event)


def take_flag() -> bool:
    """Whether this session wrote deliveries since the last call."""
    return bool(db.session.info.pop(FLAG, False))
