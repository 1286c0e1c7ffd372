"""The outbox: changes another system must follow (the search index), written in the change's
own transaction, then claimed and pushed by drains.

Drains run after each request that changed a document, every minute, and in every worker
thread and process, so several may run at once. None may push an entry twice or lose one,
and no two may push the same document at once: a drain holding an older read of a document
could write it after one holding a newer read. So a drain *claims* what it pushes:

- A claim takes every row of the oldest waiting documents that no live lease holds
  (:mod:`edoc.core.leases`: one short committed transaction, serialised between drains,
  stamping the rows with the drain's id and an expiry). Row locks alone would not do: two
  claims could take two rows of the same document. The push runs with no transaction open
  (SQLite's writer lock must be free for an index kept in the same file, and a push may be
  slow); a worker that dies mid-push only delays the rows until its lease expires
  (``EDOC_OUTBOX_LEASE_SECONDS``). A push that fails by a fault of ours keeps its lease too,
  as a back-off that lets the documents after it through.
- After the push the drain deletes the rows it claimed and only those; rows written
  meanwhile for the same document stay, and the next claim pushes the newer state. After a
  failure it releases them with the error and an attempt more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Connection, delete, func, insert, select, update

from edoc.core import leases
from edoc.core.extensions import db
from edoc.jobs.models import OutboxEntry


def write(connection: Connection, topic: str, document_ids: Iterable[int]) -> None:
    """Rows for these documents on ``connection``, inside the change's transaction (for flush
    listeners, which may not add objects to the session being flushed)."""
    rows = [
        {"topic": topic, "document_id": i, "attempts": 0, "last_error": ""} for i in document_ids
    ]
    if rows:
        connection.execute(insert(OutboxEntry.__table__), rows)  # type: ignore[arg-type]


def queue(topic: str, document_ids: Iterable[int]) -> None:
    """Rows for these documents in the caller's transaction (flushed and committed with it)."""
    db.session.add_all(OutboxEntry(topic=topic, document_id=i) for i in document_ids)


@dataclass(frozen=True)
class Claim:
    """The documents one drain pushes now, under its own id."""

    topic: str
    holder: str
    document_ids: list[int]


def claim(topic: str, documents: int) -> Claim | None:
    """Claim the rows of up to ``documents`` waiting documents, oldest first; None when none
    is free. Commits: the claim must be visible to every other drain before the push."""
    leases.serialise_claims(f"edoc.outbox.{topic}")
    now = leases.wall_clock()
    free = leases.free(OutboxEntry, now)
    held = select(OutboxEntry.document_id).where(
        OutboxEntry.topic == topic, leases.held(OutboxEntry, now)
    )
    document_ids = list(
        db.session.scalars(
            select(OutboxEntry.document_id)
            .where(OutboxEntry.topic == topic, free, OutboxEntry.document_id.not_in(held))
            .group_by(OutboxEntry.document_id)
            .order_by(func.min(OutboxEntry.id))
            .limit(documents)
        )
    )
    if not document_ids:
        db.session.commit()  # ends the claim's transaction (and its lock) with nothing taken
        return None
    holder = leases.new_holder()
    lease = timedelta(seconds=current_app.config["EDOC"].outbox_lease_seconds)
    leases.take(
        OutboxEntry,
        holder,
        now + lease,
        OutboxEntry.topic == topic,
        free,
        OutboxEntry.document_id.in_(document_ids),
    )
    db.session.commit()  # the claim is visible to every other drain before the push
    return Claim(topic, holder, sorted(document_ids))


def complete(taken: Claim) -> None:
    """The claimed rows were pushed: delete them (rows written since stay for the next drain).
    Commits: the batch is over for every drain."""
    db.session.execute(delete(OutboxEntry).where(OutboxEntry.claimed_by == taken.holder))
    db.session.commit()  # the batch is over: its rows are gone for every drain


def release(taken: Claim, error: str) -> None:
    """The push failed: the rows wait again, with the error and one more attempt."""
    leases.release(
        OutboxEntry, taken.holder, attempts=OutboxEntry.attempts + 1, last_error=error[:1000]
    )
    db.session.commit()  # the batch is over: its rows are free for the next drain


def fail(taken: Claim, error: str) -> None:
    """The push broke in a way a retry at once would repeat (a fault here, not the engine's
    outage): the rows keep their lease, so later documents go on being pushed meanwhile and
    these are tried again when it ends, with the error and one more attempt on record."""
    db.session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.claimed_by == taken.holder)
        .values(attempts=OutboxEntry.attempts + 1, last_error=error[:1000])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()  # the error is on record for the health page and the next try


def backlog(topic: str) -> tuple[int, datetime | None, str]:
    """How many changes wait, since when, and the last error a drain met."""
    count, oldest = db.session.execute(
        select(func.count(OutboxEntry.id), func.min(OutboxEntry.created_at)).where(
            OutboxEntry.topic == topic
        )
    ).one()
    error = db.session.scalar(
        select(OutboxEntry.last_error)
        .where(OutboxEntry.topic == topic, OutboxEntry.last_error != "")
        .order_by(OutboxEntry.id.desc())
        .limit(1)
    )
    return count or 0, oldest, error or ""


def last_entry(topic: str) -> int | None:
    """The newest row's id: a rebuild covers every change written up to it."""
    return db.session.scalar(select(func.max(OutboxEntry.id)).where(OutboxEntry.topic == topic))


def forget_through(topic: str, last_id: int) -> None:
    """Drop the rows up to ``last_id``: a rebuild pushed everything they name."""
    db.session.execute(
        delete(OutboxEntry).where(OutboxEntry.topic == topic, OutboxEntry.id <= last_id)
    )
