"""Incoming documents (văn bản đến): arrival, registration, routing and handling."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.clock import utcnow
from edoc.core.enums import LabelledStrEnum, labels
from edoc.core.extensions import db
from edoc.documents.models import Document, Register
from edoc.users.models import Unit, User


class IncomingStatus(LabelledStrEnum):
    RECEIVED = "received", _l("Chờ vào sổ")  # stored and checked, no arrival number yet
    REGISTERED = "registered", _l("Đã vào sổ")
    PRESENTED = "presented", _l("Chờ ý kiến chỉ đạo")  # waiting for the leader's direction
    ROUTED = "routed", _l("Đang xử lý")
    DONE = "done", _l("Đã hoàn thành")
    RETURNED = "returned", _l("Đã trả lại")  # sent back to the sender, never numbered
    RECALLED = "recalled", _l("Đã bị thu hồi")  # the sender recalled it: no longer handled


INCOMING_STATUS_LABELS = labels(IncomingStatus)
#: A handling task's state (``HandlingTask.status``).
TASK_STATUS_LABELS = {
    "open": _l("Mới giao"),
    "in_progress": _l("Đang xử lý"),
    "done": _l("Đã hoàn thành"),
}


class ReceivedVia(enum.StrEnum):
    PAPER = "paper"
    ELECTRONIC = "electronic"

    @property
    def label(self) -> str:
        return str(_l("Bản giấy") if self is ReceivedVia.PAPER else _l("Điện tử"))


class IncomingDocument(db.Model):
    __tablename__ = "incoming_documents"
    __table_args__ = (
        UniqueConstraint("register_id", "arrival_year", "arrival_number"),
        Index("ix_incoming_received_at", "received_at"),
    )

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id"))
    arrival_year: Mapped[int | None]
    arrival_number: Mapped[int | None]
    received_at: Mapped[datetime]
    registered_at: Mapped[datetime | None]
    received_via: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(255), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    presented_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    presented_at: Mapped[datetime | None]
    return_reason: Mapped[str] = mapped_column(Text, default="")
    returned_at: Mapped[datetime | None]
    deadline: Mapped[date | None] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]

    document: Mapped[Document] = relationship(lazy="joined", innerjoin=True)
    register: Mapped[Register] = relationship()
    presented_to: Mapped[User | None] = relationship()
    routings: Mapped[list[Routing]] = relationship(
        back_populates="incoming", order_by="Routing.id", cascade="all, delete-orphan"
    )

    @property
    def status(self) -> IncomingStatus:
        return IncomingStatus(self.document.status)

    @property
    def current_routing(self) -> Routing | None:
        return self.routings[-1] if self.routings else None


class Routing(db.Model):
    """The leader's direction (ý kiến chỉ đạo): who leads, who cooperates, by when."""

    __tablename__ = "incoming_routings"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("incoming_documents.document_id", ondelete="CASCADE"), index=True
    )
    directed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    direction_text: Mapped[str] = mapped_column(Text)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    lead_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cooperating_unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    deadline: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    incoming: Mapped[IncomingDocument] = relationship(back_populates="routings")
    directed_by: Mapped[User] = relationship(foreign_keys=[directed_by_id])
    lead_unit: Mapped[Unit | None] = relationship()
    lead_user: Mapped[User | None] = relationship(foreign_keys=[lead_user_id])
    tasks: Mapped[list[HandlingTask]] = relationship(
        back_populates="routing", order_by="HandlingTask.id", cascade="all, delete-orphan"
    )


class HandlingTask(db.Model):
    """One assignee's share of a routed document: the lead or a cooperating unit/person."""

    __tablename__ = "handling_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    routing_id: Mapped[int] = mapped_column(
        ForeignKey("incoming_routings.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # lead, cooperate
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, in_progress, done
    completed_at: Mapped[datetime | None]

    routing: Mapped[Routing] = relationship(back_populates="tasks")
    unit: Mapped[Unit | None] = relationship()
    user: Mapped[User | None] = relationship()
    notes: Mapped[list[HandlingNote]] = relationship(
        order_by="HandlingNote.id", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return str(TASK_STATUS_LABELS.get(self.status, self.status))


class HandlingNote(db.Model):
    """A progress report on a task, written by its assignee."""

    __tablename__ = "handling_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("handling_tasks.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()
