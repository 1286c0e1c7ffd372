"""Database engine behaviour that must be the same on every deployment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def utcnow() -> datetime:
    """Naive UTC: stored the same way on SQLite and PostgreSQL, so hashes over rows agree."""
    return datetime.now(UTC).replace(tzinfo=None)


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for every transaction.

    SQLite's default deferred transactions upgrade a read lock to a write lock on the first
    write; two clerks doing so at once get an immediate "database is locked" that no timeout
    fixes. Taking the write lock at BEGIN makes writers queue instead (readers are unaffected
    in WAL mode), which is what gapless numbering needs.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
