"""The agency this installation serves: the issuer of its documents and the head of its
registers and reports."""

from __future__ import annotations

from sqlalchemy import select

from edoc.core.extensions import db
from edoc.users.models import Unit


def _root() -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))


def agency_name() -> str:
    """The issuing body: the top organisational unit."""
    root = _root()
    return root.name if root else ""


def agency_code() -> str:
    root = _root()
    return root.code if root else ""
