"""Peers this installation exchanges with, every package in, out or forwarded, and the status
timeline of each exchanged document."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.core.leases import Leased


class PeerKind(enum.StrEnum):
    PEER = "peer"  # another installation reached directly
    HUB = "hub"  # this installation's provincial axis: the route to everyone not a peer
    MEMBER = "member"  # an agency behind this installation, when it is a hub


class Direction(enum.StrEnum):
    OUT = "out"
    IN = "in"
    FORWARD = "forward"  # a hub's store and forward


class MessageKind(enum.StrEnum):
    DOCUMENT = "document"
    STATUS = "status"


class MessageState(enum.StrEnum):
    PENDING = "pending"  # waiting for the worker to deliver it (out, forward)
    DELIVERED = "delivered"
    FAILED = "failed"  # a refusal that retrying cannot change, or the attempts ran out
    GIVEN_UP = "given_up"  # an operator gave up on it, with a reason
    RECEIVED = "received"  # stored, waiting for the worker's checks (in, forward)
    VERIFIED = "verified"  # checked, its result waiting for its turn to be applied (in, forward)
    PROCESSED = "processed"
    REFUSED = "refused"  # a check failed: nothing created, 02 sent back
    HELD = "held"  # no route yet (out), or a status about an unknown message (in)
    EXPORTED = "exported"  # handed over as a .edxml file: the worker never sends it by itself


#: The key of ``ExchangeMessage.verification`` set on a package brought by hand whose seal
#: verified against a trusted CA but not against a certificate pinned for its sender: the
#: clerk's queue and the document's page say its sender is not authenticated.
UNPINNED_SENDER = "sender_unpinned"


class ExchangePeer(db.Model):
    """Another agency's system: where its inbox is and the certificate its agency key signs
    with (pinned: a package or request signed by any other key is refused)."""

    __tablename__ = "exchange_peers"

    id: Mapped[int] = mapped_column(primary_key=True)
    organ_code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    endpoint: Mapped[str] = mapped_column(String(500), default="")
    certificate: Mapped[str] = mapped_column(Text)  # PEM
    kind: Mapped[str] = mapped_column(String(8), default=PeerKind.PEER)
    #: which registered transport carries packages to it (``edoc.exchange.transport``)
    transport: Mapped[str] = mapped_column(String(16), default="http", server_default="http")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ExchangeMessage(db.Model, Leased):
    """One edXML package in, out or forwarded, with its exact bytes in the blob store.

    The message id identifies a package across installations: a second delivery of the same
    id in the same direction to the same addressee is refused by the unique constraint, so it
    creates nothing (a hub keeps one forward row per member a package names).
    ``hop``: the organ code the package is delivered to next (the peer itself, or the hub);
    packages to one hop leave in order. ``claimed_by``/``claimed_until``: the worker delivering,
    checking or applying it now (a lease on the wall clock, :mod:`edoc.core.leases`).
    """

    __tablename__ = "exchange_messages"
    __table_args__ = (
        UniqueConstraint(
            "message_id", "direction", "to_organ", name="uq_exchange_messages_id_direction_to"
        ),
        Index("ix_exchange_messages_queue", "direction", "state", "hop"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8), default=MessageKind.DOCUMENT)
    business_type: Mapped[int] = mapped_column(default=0)  # 0 new 1 revoke 2 update 3 replace
    from_organ: Mapped[str] = mapped_column(String(32))
    to_organ: Mapped[str] = mapped_column(String(32))
    hop: Mapped[str | None] = mapped_column(String(32))
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), index=True
    )
    dispatch_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatches.id", ondelete="SET NULL"), index=True
    )
    about_message_id: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The package this one replaces or recalls (business type 1, 2, 3), by message id.
    replaces_message_id: Mapped[str | None] = mapped_column(String(64))
    # What the package is about, kept to answer statuses and show lists without reparsing it.
    code: Mapped[str] = mapped_column(String(128), default="")  # number/notation
    promulgation_date: Mapped[date | None]
    edxml_document_id: Mapped[str] = mapped_column(String(255), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    status_code: Mapped[str] = mapped_column(String(2), default="")  # a status package's code
    package_sha256: Mapped[str | None] = mapped_column(String(64))
    package_size: Mapped[int] = mapped_column(default=0)
    #: What the checks on receipt found (envelope seal, PDF signatures), for the clerk.
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: While ``verified``: the checks' verdict and everything applying it needs (the files as
    #: checked, what the package says, a hub's traced copy), so that applying, done in order
    #: per sender, reads no blob and parses nothing (``receiving.Verdict``); cleared once applied.
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12))
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    events: Mapped[list[ExchangeStatusEvent]] = relationship(
        back_populates="message", order_by="ExchangeStatusEvent.occurred_at"
    )


class ExchangeStatusEvent(db.Model):
    """One step of an exchanged document's timeline: a status the recipient sent back (on the
    sender's side), or one this installation sent (on the recipient's side)."""

    __tablename__ = "exchange_status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_pk: Mapped[int] = mapped_column(
        ForeignKey("exchange_messages.id", ondelete="CASCADE"), index=True
    )
    status_message_id: Mapped[str | None] = mapped_column(String(64))
    status_code: Mapped[str] = mapped_column(String(2))
    description: Mapped[str] = mapped_column(Text, default="")
    arrival_number: Mapped[str] = mapped_column(String(32), default="")
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    message: Mapped[ExchangeMessage] = relationship(back_populates="events")
