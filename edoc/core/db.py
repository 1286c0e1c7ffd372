"""Database engine behaviour that must be the same on every deployment."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from sqlalchemy import event
from sqlalchemy.engine import Engine

from edoc.core.extensions import db


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


def init_request_transactions(app: Flask) -> None:
    """One transaction per request: services flush, the request commits.

    A request that ends in success (status below 400) commits what its services wrote; any
    other answer rolls everything back, so a refused action leaves no partial state. The few
    writes that must outlive a refusal (security events, see ``audit.record_security_event``;
    number allocation) commit on their own and say why.
    """

    @app.after_request
    def _end_transaction(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
