"""What every official document has, whichever way it travels: identity, secrecy, files."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.clock import utcnow
from edoc.core.enums import LabelledIntEnum, labels
from edoc.core.extensions import db
from edoc.users.models import User


class Direction(enum.StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class Urgency(LabelledIntEnum):
    """ND30's urgency marks (độ khẩn), from ordinary (thường) to hỏa tốc."""

    NORMAL = 0, _l("Thường")
    KHAN = 1, _l("Khẩn")
    THUONG_KHAN = 2, _l("Thượng khẩn")
    HOA_TOC = 3, _l("Hỏa tốc")


URGENCY_LABELS = labels(Urgency)


class DocumentType(db.Model):
    """ND30 document types; ``abbreviation`` is what goes into the số ký hiệu (QĐ, TB …)."""

    __tablename__ = "document_types"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    abbreviation: Mapped[str] = mapped_column(String(16), default="")
    legal_normative: Mapped[bool] = mapped_column(default=False)


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_direction_status", "direction", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    number_notation: Mapped[str] = mapped_column(String(128), default="", index=True)
    doc_type_code: Mapped[str] = mapped_column(ForeignKey("document_types.code"))
    subject: Mapped[str] = mapped_column(Text)
    issued_date: Mapped[date | None]
    issuer_org: Mapped[str] = mapped_column(String(255), default="")
    signer_name: Mapped[str] = mapped_column(String(255), default="")
    signer_title: Mapped[str] = mapped_column(String(255), default="")
    urgency: Mapped[int] = mapped_column(default=Urgency.NORMAL)
    secrecy: Mapped[int] = mapped_column(default=0, index=True)
    page_count: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    doc_type: Mapped[DocumentType] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    files: Mapped[list[DocumentFile]] = relationship(
        back_populates="document", order_by="DocumentFile.id", cascade="all, delete-orphan"
    )

    @property
    def main_file(self) -> DocumentFile | None:
        mains = [f for f in self.files if f.role == "main"]
        return mains[-1] if mains else None

    @property
    def urgency_level(self) -> Urgency:
        return Urgency(self.urgency)


class DocumentFile(db.Model):
    """One stored file of a document; the bytes live in the blob store under their SHA-256."""

    __tablename__ = "document_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # main, attachment, appendix
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    signature_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # JavaScript, launch or automatic actions found when the PDF was checked (codes of
    # signing.inspection); such a file is served only as a sandboxed download. None: not checked.
    active_content: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="files")

    @property
    def active_content_found(self) -> list[str]:
        """Active content found when the file was checked, or when a file made from it (a signed
        version, a file received from another agency) had its signatures validated."""
        return self.active_content or (self.signature_report or {}).get("active_content") or []


class Register(db.Model):
    """A register (sổ): its numbers restart at 1 every 1 January."""

    __tablename__ = "registers"
    __table_args__ = (UniqueConstraint("direction", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    secret: Mapped[bool] = mapped_column(default=False)
    doc_type_code: Mapped[str | None] = mapped_column(ForeignKey("document_types.code"))
    active: Mapped[bool] = mapped_column(default=True)


class RegisterCounter(db.Model):
    """The last number given in a register for a year; its row lock serialises numbering."""

    __tablename__ = "register_counters"

    register_id: Mapped[int] = mapped_column(ForeignKey("registers.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)
