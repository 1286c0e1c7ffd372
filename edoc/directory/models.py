"""The agencies this installation knows, by their organ code (mã định danh)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.clock import utcnow
from edoc.core.enums import LabelledStrEnum
from edoc.core.extensions import db


class Level(LabelledStrEnum):
    """Where an agency sits in the state's administration; the recipient picker groups by it."""

    CENTRAL = "central", _l("Trung ương")
    PROVINCE = "province", _l("Cấp tỉnh")
    DISTRICT = "district", _l("Cấp huyện")
    COMMUNE = "commune", _l("Cấp xã")
    UNIT = "unit", _l("Đơn vị trực thuộc")


class Organization(db.Model):
    """The directory of agencies documents are sent to (mã định danh like 000.00.00.H30).

    ``internal`` agencies are served by this installation: what is sent to them lands in the
    incoming queue here, with its signatures checked like any electronic receipt.
    ``parent_code`` is the code of the agency above (a code, not a row id, so a directory file
    can name a parent listed further down, and an agency outside the directory stays nameable).
    ``folded`` is the name and code without diacritics, lower-case: what a search matches, the
    same way on SQLite and PostgreSQL.
    """

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    internal: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    parent_code: Mapped[str | None] = mapped_column(String(32), index=True)
    level: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(500), default="", server_default="")
    email: Mapped[str] = mapped_column(String(255), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(64), default="", server_default="")
    folded: Mapped[str] = mapped_column(String(300), default="", server_default="")
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def level_label(self) -> str:
        return Level(self.level).label if self.level in Level._value2member_map_ else ""
