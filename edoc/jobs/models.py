"""Progress of long jobs, stored so the UI and the CLI can show a progress bar."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.core.leases import Leased


class Job(db.Model, Leased):
    """A long task asked for by someone, its progress, and its result.

    A running job is leased (:mod:`edoc.core.leases`): ``claimed_by``/``claimed_until`` are the
    worker running it and until when, renewed at each step it reports. ``attempts`` counts the
    runs lost with their worker (killed, out of memory, machine restarted: the lease ran out),
    ``last_error`` says when the last was found; after ``EDOC_JOB_MAX_LOST_RUNS`` the job fails
    instead of being queued again (see :func:`edoc.jobs.services.requeue_expired`).
    """

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued running done failed
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class OutboxEntry(db.Model, Leased):
    """A change to push to another system (the search index), written in the change's own
    transaction so it can never be lost when that system is down.

    ``claimed_by``/``claimed_until``: the drain working on it now, and until when its claim
    holds (see :mod:`edoc.jobs.outbox`).
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(32), index=True)
    document_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
