"""Dossiers (hồ sơ): the yearly list, their documents, closing, transfer, legal hold."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.users.models import Unit, User


class DossierStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    TRANSFERRED = "transferred"
    DISPOSED = "disposed"

    @property
    def label(self) -> str:
        return str(
            {
                "open": _l("Đang mở"),
                "closed": _l("Đã đóng"),
                "transferred": _l("Đã nộp lưu"),
                "disposed": _l("Đã hủy theo quyết định"),
            }[self.value]
        )


class Dossier(db.Model):
    __tablename__ = "dossiers"
    __table_args__ = (UniqueConstraint("year", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    code: Mapped[str] = mapped_column(String(32))  # ký hiệu hồ sơ, e.g. "05.TH"
    title: Mapped[str] = mapped_column(Text)
    retention_years: Mapped[int | None]  # None: permanent (vĩnh viễn)
    keeper_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    keeper_name: Mapped[str] = mapped_column(String(255), default="")  # as at creation/import
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(16), default=DossierStatus.OPEN)
    page_count: Mapped[int | None]
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    legal_hold: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    transferred_at: Mapped[datetime | None]
    legal_hold_reason: Mapped[str] = mapped_column(Text, default="")
    disposed_at: Mapped[datetime | None]
    disposal_decision: Mapped[str] = mapped_column(Text, default="")

    keeper: Mapped[User | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    entries: Mapped[list[DossierDocument]] = relationship(
        order_by="DossierDocument.ordinal", cascade="all, delete-orphan"
    )

    @property
    def retention_ends(self) -> date | None:
        """The day the retention period ends (None: kept permanently, or not closed yet)."""
        if self.retention_years is None or self.end_date is None:
            return None
        try:
            return self.end_date.replace(year=self.end_date.year + self.retention_years)
        except ValueError:  # 29 February
            return self.end_date.replace(year=self.end_date.year + self.retention_years, day=28)

    @property
    def keeper_label(self) -> str:
        return self.keeper.full_name if self.keeper else self.keeper_name

    @property
    def status_value(self) -> DossierStatus:
        return DossierStatus(self.status)


class DossierDocument(db.Model):
    __tablename__ = "dossier_documents"
    __table_args__ = (UniqueConstraint("dossier_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    ordinal: Mapped[int]  # DocOrdinal: position in the dossier
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship()
