"""Other systems' links to this installation: webhook subscriptions, their deliveries, and the
documents they sent in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.clock import utcnow
from edoc.core.enums import LabelledStrEnum, labels
from edoc.core.extensions import db
from edoc.core.leases import Leased
from edoc.documents.models import Document
from edoc.users.models import User


class WebhookEvent(LabelledStrEnum):
    """What a subscription may ask to hear about (the ``X-Edoc-Event`` header)."""

    RECEIVED = "document.received", _l("Tiếp nhận văn bản đến")
    REGISTERED = "document.registered", _l("Vào sổ văn bản đến")
    ASSIGNED = "document.assigned", _l("Giao xử lý văn bản đến")
    DONE = "document.done", _l("Hoàn thành xử lý văn bản đến")
    ISSUED = "document.issued", _l("Phát hành văn bản đi")
    RECALLED = "document.recalled", _l("Thu hồi văn bản đi")


WEBHOOK_EVENT_LABELS = labels(WebhookEvent)
#: A test ping an admin sends; never ordered behind the subscription's document events.
PING = "ping"


class DeliveryStatus(LabelledStrEnum):
    PENDING = "pending", _l("Đang chờ gửi")  # not sent yet, or waiting for its next attempt
    DELIVERED = "delivered", _l("Đã gửi")
    FAILED = "failed", _l("Thất bại")  # every attempt used: the subscription's queue waits
    GIVEN_UP = "given_up", _l("Đã bỏ qua")  # an admin gave up on it: the queue moves on


DELIVERY_STATUS_LABELS = labels(DeliveryStatus)


class WebhookSubscription(db.Model):
    """An outside system that wants to hear of document events at ``url``.

    ``secret_sealed`` is the HMAC secret encrypted with a key derived from the installation's
    secret key (:mod:`edoc.integrations.secret_box`): the server must read it to sign, so it
    cannot be hashed, but a copy of the database alone does not give it away.
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2000))
    secret_sealed: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()


class WebhookDelivery(db.Model, Leased):
    """One event for one subscription: an outbox row written in the event's own transaction.

    ``event_id`` is the event's identity, the same for every subscription that hears it and for
    every attempt (``X-Edoc-Delivery``): receivers deduplicate on it. ``next_attempt_at`` and
    ``claimed_until`` are on the wall clock (like :mod:`edoc.jobs.outbox`'s leases), not the
    demo's settable clock.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery_event"),
        Index("ix_webhook_deliveries_queue", "subscription_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(32))
    document_id: Mapped[int | None] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING, index=True)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    subscription: Mapped[WebhookSubscription] = relationship()


class InboundDocument(db.Model):
    """A document another system sent in, under its idempotency key: the unique constraint is
    what makes a repeated call find the first document instead of creating a second."""

    __tablename__ = "inbound_documents"
    __table_args__ = (
        UniqueConstraint("client_id", "idempotency_key", name="uq_inbound_client_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    external_reference: Mapped[str] = mapped_column(String(255), default="")
    sender_code: Mapped[str] = mapped_column(String(32), default="")
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship()
