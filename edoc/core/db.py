"""Database engine behaviour that must be the same on every deployment."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, has_request_context, request
from flask_sqlalchemy.session import Session as AppSession
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session

from edoc.core.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MODE = "edoc.sqlite_begin"  # connection.info key: "deferred" or "immediate"
SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("EDOC_SQLITE_BUSY_TIMEOUT_MS", "30000"))


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout; the write lock only for units of work that write.

    SQLite's deferred transactions upgrade a read lock to a write lock on the first write; two
    clerks doing so at once get an immediate "database is locked" that no timeout fixes (the
    snapshot of the one that waits is stale). So a request that is meant to change something
    (POST, PUT, PATCH, DELETE) and every job and command take the write lock at BEGIN
    (``BEGIN IMMEDIATE``) and queue behind each other, which is what gapless numbering needs.

    A GET reads in a deferred transaction and never waits for writers (WAL): with the lock
    taken for reads too, 50 people arriving at once queued behind each other for over 30 s.
    The few GETs that do write (the audit entry of a file download) switch to the write lock
    just before their first write: the read-only transaction ends and ``BEGIN IMMEDIATE``
    starts, so what they write is never refused for a stale snapshot. Their earlier reads may
    be a few milliseconds old, as every statement's are on PostgreSQL (READ COMMITTED).
    """
    if engine.dialect.name != "sqlite":
        return
    install_write_lock_upgrade(AppSession)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if has_request_context() and request.method in SAFE_METHODS:
            connection.exec_driver_sql("BEGIN")
            connection.info[_MODE] = "deferred"
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.info[_MODE] = "immediate"


def _take_write_lock(session: Session) -> None:
    """Before the first write of a deferred (read-only so far) transaction: BEGIN IMMEDIATE."""
    if not session.in_transaction() or session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if connection.info.get(_MODE) != "deferred":
        return
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("COMMIT")  # nothing written yet: only the read snapshot ends
        cursor.execute("BEGIN IMMEDIATE")  # waits for the writer ahead, up to busy_timeout
    finally:
        cursor.close()
    connection.info[_MODE] = "immediate"


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        _take_write_lock(session)


def _before_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _take_write_lock(state.session)


def install_write_lock_upgrade(session_class: Any) -> None:
    """Listen on the app's session class (idempotent)."""
    for name, listener in (("before_flush", _before_flush), ("do_orm_execute", _before_statement)):
        if not event.contains(session_class, name, listener):
            event.listen(session_class, name, listener)


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
