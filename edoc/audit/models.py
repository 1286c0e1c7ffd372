"""The append-only audit log: one row per action, each row chained to the previous one.

A row's ``hash`` is an HMAC-SHA256 (``hash_version`` 2) keyed with a secret kept outside the
database (see :mod:`edoc.audit.chain`); rows written before that key existed carry a plain
SHA-256 (``hash_version`` 1) until ``edoc audit rekey`` re-seals them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.clock import utcnow
from edoc.core.extensions import db

GENESIS_HASH = "0" * 64
LEGACY_SHA256 = 1
KEYED_HMAC = 2


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_name: Mapped[str] = mapped_column(String(255), default="")
    #: Outside a web request: the command or task that acted (``edoc import-package``,
    #: ``task exchange.dispatch``) and the operating-system login that ran it.
    command: Mapped[str] = mapped_column(String(128), default="", server_default="")
    operator: Mapped[str] = mapped_column(String(255), default="", server_default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32), default="", index=True)
    object_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    hash_version: Mapped[int] = mapped_column(SmallInteger, default=KEYED_HMAC, server_default="1")


class AuditHead(db.Model):
    """A single row holding the chain's tip.

    Appending takes this row's lock (``UPDATE … RETURNING``) so concurrent transactions append
    one after another instead of forking the chain; it also lets ``verify`` notice rows deleted
    from the end of the log.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
