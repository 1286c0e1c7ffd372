"""Outgoing documents (văn bản đi): drafts, review, signatures, numbers, sending, recall."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.clock import utcnow
from edoc.core.enums import LabelledStrEnum, labels
from edoc.core.extensions import db
from edoc.documents.models import Document, Register
from edoc.users.models import User


class OutgoingStatus(LabelledStrEnum):
    DRAFT = "draft", _l("Dự thảo")
    SUBMITTED = "submitted", _l("Chờ lãnh đạo ký")  # waiting for the leader's signature
    SIGNED = "signed", _l("Đã ký, chờ phát hành")  # waiting for the clerk to number and issue
    ISSUED = "issued", _l("Đã phát hành")
    RECALLED = "recalled", _l("Đã thu hồi")
    REPLACED = "replaced", _l("Đã bị thay thế")


OUTGOING_STATUS_LABELS = labels(OutgoingStatus)

AUTHORITY_PREFIXES = ["", "TM.", "KT.", "Q.", "TL.", "TUQ."]
#: What each signing authority (thẩm quyền ký, ND30) is called on the forms.
AUTHORITY_LABELS = {
    "": _l("Người đứng đầu ký"),
    "TM.": _l("TM. — Thay mặt tập thể"),
    "KT.": _l("KT. — Ký thay người đứng đầu"),
    "Q.": _l("Q. — Quyền người đứng đầu"),
    "TL.": _l("TL. — Thừa lệnh"),
    "TUQ.": _l("TUQ. — Thừa ủy quyền"),
}

#: What the agency may seal after issue: certified copies (ND30 art. 25) and appendices (PL).
COPY_KINDS = {"SY": "Bản sao y", "SL": "Bản sao lục", "TS": "Bản trích sao", "PL": "Phụ lục"}


class OutgoingDocument(db.Model):
    __tablename__ = "outgoing_documents"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    drafter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    authority_prefix: Mapped[str] = mapped_column(String(8), default="")
    recipients: Mapped[str] = mapped_column(Text, default="")  # nơi nhận, one per line
    copies: Mapped[int] = mapped_column(default=1)
    legal_normative: Mapped[bool] = mapped_column(default=False)
    register_id: Mapped[int | None] = mapped_column(ForeignKey("registers.id"))
    issued_year: Mapped[int | None]
    issued_number: Mapped[int | None]
    issued_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    recall_reason: Mapped[str] = mapped_column(Text, default="")
    recalled_at: Mapped[datetime | None]
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    document: Mapped[Document] = relationship(
        lazy="joined", innerjoin=True, foreign_keys=[document_id]
    )
    drafter: Mapped[User] = relationship(foreign_keys=[drafter_id])
    signer: Mapped[User | None] = relationship(foreign_keys=[signer_id])
    register: Mapped[Register | None] = relationship()
    versions: Mapped[list[DraftVersion]] = relationship(
        order_by="DraftVersion.number", cascade="all, delete-orphan"
    )
    comments: Mapped[list[ReviewComment]] = relationship(
        order_by="ReviewComment.id", cascade="all, delete-orphan"
    )
    dispatches: Mapped[list[Dispatch]] = relationship(
        order_by="Dispatch.id", cascade="all, delete-orphan"
    )

    @property
    def status(self) -> OutgoingStatus:
        return OutgoingStatus(self.document.status)

    @property
    def current_version(self) -> DraftVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def recipient_list(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]


class DraftVersion(db.Model):
    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("outgoing_documents.document_id", ondelete="CASCADE")
    )
    number: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    source_sha256: Mapped[str] = mapped_column(String(64), default="")  # the DOCX it came from
    note: Mapped[str] = mapped_column(Text, default="")
    # As DocumentFile.active_content: JavaScript or automatic actions found at check time.
    active_content: Mapped[list[str] | None] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship()

    content_type = "application/pdf"

    @property
    def active_content_found(self) -> list[str]:
        return self.active_content or []


class ReviewComment(db.Model):
    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("outgoing_documents.document_id", ondelete="CASCADE")
    )
    version_number: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()


class NumberAllocation(db.Model):
    """Every outgoing number ever given, used or void, so the register accounts for each one."""

    __tablename__ = "number_allocations"
    __table_args__ = (UniqueConstraint("register_id", "year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id"))
    year: Mapped[int]
    number: Mapped[int]
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="reserved")  # reserved issued void
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SigningRequest(db.Model):
    """A signature waiting for a token: prepared on the server, signed by the local agent.

    ``prepared`` holds everything needed to finish (JSON and base64), so a server restart
    between the two steps loses nothing.
    """

    __tablename__ = "signing_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # personal, agency
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    prepared: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class Dispatch(db.Model):
    """One recipient of an issued document, and what happened to the sending."""

    __tablename__ = "dispatches"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("outgoing_documents.document_id", ondelete="CASCADE")
    )
    recipient: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(16))  # internal, paper, edxml
    status: Mapped[str] = mapped_column(String(16), default="sent")
    incoming_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
