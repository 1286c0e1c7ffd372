"""Text read out of stored files, kept so a reindex never has to read or OCR a file twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.clock import utcnow
from edoc.core.extensions import db


class TextExtract(db.Model):
    """The text of one blob, by its address: identical files share one extract."""

    __tablename__ = "text_extracts"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # ok, failed
    text: Mapped[str] = mapped_column(Text, default="")
    pages: Mapped[int] = mapped_column(default=0)
    ocr_pages: Mapped[int] = mapped_column(default=0)
    # The PDF with an OCR text layer, for readers (a blob address; the original is untouched).
    ocr_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    error_code: Mapped[str] = mapped_column(String(32), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
