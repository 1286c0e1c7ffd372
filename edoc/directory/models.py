"""The agencies this installation knows, by their organ code (mã định danh)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.extensions import db


class Organization(db.Model):
    """The directory of agencies documents are sent to (mã định danh like 000.00.00.H30).

    ``internal`` agencies are served by this installation: what is sent to them lands in the
    incoming queue here, with its signatures checked like any electronic receipt.
    """

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    internal: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
