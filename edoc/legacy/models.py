"""What a legacy import has done: one ledger row per register row brought in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.clock import utcnow
from edoc.core.extensions import db


class LegacyRow(db.Model):
    """A register row imported, written in the same transaction as its document.

    ``key`` names the row by what it records (``in:DEN:2019:12``, ``out:2020:12/QD/UBND``),
    whichever file it came from: a run stopped half-way skips what is here, a second run
    changes nothing, and a row whose content changed since (``row_hash``) is reported, and
    corrected only when asked. ``source_sha256`` and ``row_number`` say where it was read.
    """

    __tablename__ = "legacy_rows"
    __table_args__ = (Index("ix_legacy_rows_source", "source_sha256", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    row_number: Mapped[int]
    row_hash: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
