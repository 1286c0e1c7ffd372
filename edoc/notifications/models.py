"""Notifications, each person's preferences, and the outbox of e-mails the worker sends."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.clock import utcnow
from edoc.core.enums import LabelledStrEnum, labels
from edoc.core.extensions import db
from edoc.core.leases import Leased
from edoc.documents.models import Document
from edoc.users.models import User


class NotificationKind(LabelledStrEnum):
    """What a person is told about; each has its own preferences."""

    ASSIGNED = "assigned", _l("Văn bản được giao, được trình")
    TO_SIGN = "to_sign", _l("Văn bản chờ ký")
    RETURNED = "returned", _l("Dự thảo bị trả lại")
    DUE_TOMORROW = "due_tomorrow", _l("Văn bản đến hạn ngày mai")
    OVERDUE = "overdue", _l("Văn bản quá hạn xử lý")
    MENTION = "mention", _l("Được nhắc tên trong trao đổi")


KIND_LABELS = labels(NotificationKind)


class EmailStatus(LabelledStrEnum):
    PENDING = "pending", _l("Đang chờ gửi")
    SENT = "sent", _l("Đã gửi")
    FAILED = "failed", _l("Gửi không thành công")


class Notification(db.Model):
    """Something waiting for one person about one document.

    ``in_app``: shown by the bell and the page (the person's preference when it was made; a
    row kept with ``in_app`` off still feeds the digest). ``dedup_key`` makes the periodic
    deadline reminders idempotent (see :mod:`edoc.notifications.reminders`); event
    notifications leave it empty. ``note`` is a short text (a mention's excerpt, a return's
    reason) shown only to someone who may still see the document.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    event: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    in_app: Mapped[bool] = mapped_column(default=True)
    dedup_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    document: Mapped[Document] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


class NotificationPreference(db.Model):
    """How one person wants to hear of one kind: in the app, by e-mail at once, in the digest.
    No row: the defaults of :data:`edoc.notifications.services.DEFAULTS`."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_pref_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    in_app: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)
    digest: Mapped[bool] = mapped_column(default=True)


class OutgoingEmail(db.Model, Leased):
    """An e-mail waiting for the worker: written in the transaction that made its reason, sent
    after it committed, retried with back-off. ``dedup_key`` keeps one e-mail per notification
    and one digest per person and day. Leases (``claimed_*``) are on the wall clock."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_queue", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=EmailStatus.PENDING)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
