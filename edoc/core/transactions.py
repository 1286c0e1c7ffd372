"""Slow work on files runs with no database transaction open.

A transaction left open while a file is checked, its text extracted, its pages OCR'd or its
signatures validated makes every other user wait for a hostile file: SQLite takes its single
writer lock at BEGIN (``BEGIN IMMEDIATE``, see :mod:`edoc.core.db`), so one decompression-bomb
PDF in ``pdftotext`` held it for a minute and other requests failed with "database is locked";
on PostgreSQL the transaction pins a pooled connection and every row lock it took (the audit
chain's head among them). So: read what is needed, end the transaction, do the slow work in
:func:`outside_transaction`, then write in a short transaction that re-checks what may have
changed meanwhile. The slow work writes nothing, so a failure leaves nothing half-registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask
from flask_sqlalchemy.session import Session as AppSession
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from edoc.core.extensions import db

P = ParamSpec("P")
R = TypeVar("R")

_SLOW = "edoc.slow_work_depth"
_WROTE = "edoc.transaction_wrote"


class TransactionDuringSlowWork(RuntimeError):
    """A programming error: the database was used inside :func:`outside_transaction`."""


@contextmanager
def outside_transaction() -> Iterator[None]:
    """End the current (read-only) transaction and refuse to open one until the block ends.

    Uncommitted writes at entry are a programming error, not something to commit or drop
    silently: committing them would leave half a change behind if the slow work then fails,
    dropping them would lose it. Nested use is allowed (a checker calling another checker).
    """
    session = db.session()
    depth = session.info.get(_SLOW, 0)
    if depth == 0 and session.in_transaction():
        if _has_writes(session):
            raise TransactionDuringSlowWork(
                "uncommitted writes before slow file work: commit them first, or do the slow "
                "work before writing"
            )
        session.rollback()  # read-only so far: nothing is lost, the lock and connection go
    session.info[_SLOW] = depth + 1
    try:
        yield
    finally:
        session.info[_SLOW] = depth


def slow_work(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator: the whole function runs in :func:`outside_transaction`."""

    @wraps(function)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with outside_transaction():
            return function(*args, **kwargs)

    return wrapped


def _has_writes(session: Session) -> bool:
    if session.new or session.deleted or session.info.get(_WROTE):
        return True
    return any(session.is_modified(instance) for instance in session.dirty)


def _refuse_begin(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.get(_SLOW):
        raise TransactionDuringSlowWork(
            "the database was used during slow file work (no transaction may stay open "
            "while a file is checked, read or validated)"
        )


def _mark_flush(session: Session, _flush: UOWTransaction) -> None:
    session.info[_WROTE] = True


def _mark_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _forget_writes(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def install(session_class: Any) -> None:
    """Listen on the app's session class (idempotent)."""
    for name, listener in (
        ("after_transaction_create", _refuse_begin),
        ("after_flush", _mark_flush),
        ("do_orm_execute", _mark_statement),
        ("after_transaction_end", _forget_writes),
    ):
        if not event.contains(session_class, name, listener):
            event.listen(session_class, name, listener)


install(AppSession)  # at import: every module that does slow work imports this one


def kick_after_request(
    app: Flask, wanted: Callable[[], bool], task: Callable[[], object], what: str
) -> None:
    """After each request whose session queued work for the worker (``wanted`` says so, and
    forgets it), run ``task`` to ask the worker to do it now. At teardown, once the request's
    transaction ended: the rows it wrote are committed (or gone) when the worker looks. A kick
    that fails loses nothing: the rows wait in their queue for the periodic drain."""

    def kick(error: BaseException | None) -> None:
        if not wanted() or error is not None:
            return
        try:
            task()
        except Exception:  # the queue keeps the work; the periodic drain retries it
            app.logger.exception("%s after the request failed; will retry", what)

    app.teardown_request(kick)
