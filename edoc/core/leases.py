"""Leases: how a drain takes rows of a queue table so that no two drains work on one row, and a
drain that dies only delays its rows. One mechanism for every queue the worker drains (the
search outbox, webhook deliveries, e-mail, exchange packages) and for the jobs it runs
(:mod:`edoc.jobs.services`: exports, legacy imports); each queue keeps its own rule of
*which* rows are due (order per document, per subscription, per sender or next hop).

- A claim is one short committed transaction, serialised between processes: on SQLite every
  transaction begins IMMEDIATE (:mod:`edoc.core.db`); on PostgreSQL :func:`serialise_claims`
  takes a transaction-scoped advisory lock first. Row locks alone would not do: two drains
  could each take a row the queue's rule says must go one after the other.
- It stamps the rows with the drain's id (:func:`new_holder`) and an expiry (:func:`take`):
  a lease, not a lock held during the slow work, which runs with no transaction open. A drain
  renews its lease before each slow step (:func:`renew`) and learns there whether it lost it;
  a single step that may outlast the lease (a package's check) runs inside :func:`kept_alive`,
  which renews it from a thread meanwhile.
- When done it clears its stamp (:func:`give_back`), recording the outcome in the same
  transaction; a failed attempt waits out a :class:`Backoff` before the row is due again.

Leases and back-off are measured on the wall clock (:func:`wall_clock`), not
:func:`edoc.core.clock.utcnow`: the demo moves that clock to past days, and a lease is about
how long a drain has really been gone.
"""

from __future__ import annotations

import threading
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, String, Text, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.extensions import db


class Leased:
    """The columns of a row a drain can lease: who holds it and until when, how many attempts
    it has had and the last one's error."""

    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None]


def wall_clock() -> datetime:
    """Now, naive UTC, on the real clock (leases are about real time passing)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_holder() -> str:
    """A drain's id, stamped on the rows it claims."""
    return str(uuid.uuid4())


def serialise_claims(queue: str) -> None:
    """Make this transaction's claim wait for any other claim on ``queue`` (PostgreSQL; on
    SQLite the transaction's BEGIN IMMEDIATE already does). Released when the claim commits."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(zlib.crc32(queue.encode()))))


def free(table: type[Leased], now: datetime) -> ColumnElement[bool]:
    """Rows no live lease holds."""
    return or_(table.claimed_until.is_(None), table.claimed_until <= now)


def held(table: type[Leased], now: datetime) -> ColumnElement[bool]:
    """Rows a live lease holds."""
    return table.claimed_until > now


def due(next_attempt_at: Any, now: datetime) -> ColumnElement[bool]:
    """Rows not waiting out a back-off (``next_attempt_at`` unset or past)."""
    return or_(next_attempt_at.is_(None), next_attempt_at <= now)  # type: ignore[no-any-return]


def take(table: type[Leased], holder: str, until: datetime, *where: Any) -> None:
    """Stamp the rows ``where`` selects with ``holder`` until ``until`` (the caller commits,
    ending the claim's transaction so every other drain sees the lease)."""
    db.session.execute(update(table).where(*where).values(claimed_by=holder, claimed_until=until))


def renew(table: type[Leased], holder: str, lease: timedelta, *where: Any) -> bool:
    """Extend ``holder``'s lease on the rows ``where`` selects, just before the slow work on
    them; False when it ran out and another drain took them (that one does the work).
    Commits, so every other drain sees the renewed lease before the work starts."""
    renewed = db.session.execute(
        update(table)
        .where(table.claimed_by == holder, *where)
        .values(claimed_until=wall_clock() + lease)
    ).rowcount
    db.session.commit()  # the renewed lease is visible to every other drain before the work
    return bool(renewed)


@contextmanager
def kept_alive(table: type[Leased], holder: str, lease: timedelta, *where: Any) -> Iterator[None]:
    """Renew ``holder``'s lease on the rows ``where`` selects every third of ``lease`` while the
    block runs, from a thread with its own session (the block itself holds no transaction).

    For one slow step whose length has no useful bound below minutes (a package's PDF checks,
    a delivery to a slow peer): the lease can stay short, so that a worker that dies delays its
    rows only that long, while a worker that is alive and busy keeps them. A renewal that finds
    the lease lost (the worker stalled, another drain took the rows) stops renewing; the step's
    result is then dropped where it is recorded (:func:`release` says so)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    done = threading.Event()
    beat = lease.total_seconds() / 3

    def keep() -> None:
        with app.app_context():
            while not done.wait(beat):
                try:
                    if not renew(table, holder, lease, *where):
                        app.logger.warning("lease %s lost: another drain has the rows", holder)
                        return
                except Exception:  # the database busy or away: the next beat tries again
                    db.session.rollback()
                    app.logger.exception("lease %s not renewed; trying again", holder)

    keeper = threading.Thread(target=keep, name=f"lease-{holder[:8]}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        done.set()
        # a renewal stuck on a lock must not hold up the drain; one landing late finds the
        # rows released (or another holder's) and changes nothing
        keeper.join(timeout=beat)


def release(table: type[Leased], holder: str, *where: Any, **outcome: Any) -> bool:
    """End ``holder``'s lease on the rows ``where`` selects (all it holds when none), setting
    ``outcome`` on them in the same statement; False when it held none of them any more (its
    lease ran out and another drain took them: that one's outcome stands). The caller commits."""
    return bool(
        db.session.execute(
            update(table)
            .where(table.claimed_by == holder, *where)
            .values(claimed_by=None, claimed_until=None, **outcome)
        ).rowcount
    )


def give_back(row: Leased) -> None:
    """End the lease on one loaded row (the caller records the outcome and commits)."""
    row.claimed_by = None
    row.claimed_until = None


@dataclass(frozen=True)
class Backoff:
    """How long a row waits after its n-th failed attempt: the given steps, then ``cap``."""

    steps: tuple[timedelta, ...]
    cap: timedelta

    def after(self, failed_attempts: int) -> timedelta:
        index = max(failed_attempts - 1, 0)
        return self.steps[index] if index < len(self.steps) else self.cap

    @classmethod
    def doubling(cls, first: timedelta, cap: timedelta) -> Backoff:
        """``first``, twice that, four times … up to ``cap`` (``first`` at least a second)."""
        steps: list[timedelta] = []
        wait = max(first, timedelta(seconds=1))
        while wait < cap:
            steps.append(wait)
            wait *= 2
        return cls(tuple(steps), cap)
