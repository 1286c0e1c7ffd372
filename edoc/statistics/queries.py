"""Handling and issuing statistics for a period (thống kê tình hình giải quyết văn bản).

Read-only: nothing here writes. Leaders and clerks ask for these weekly.

Secrecy rule: every count goes through ``documents.access.visible`` inside the query, so a
secret document is counted only for a viewer cleared for it, and left out of every number
(rows, totals, charts, exports) for the others. A total therefore never betrays that a secret
document exists; two people with different clearances may see different totals, and the page
says whose view it is.

What is counted:

- Handling: the lead share (chủ trì) of each direction given in the period (the routing's
  time, in the agency's days). Cooperating units' shares are left out, so the units' received
  column adds up to the number of documents directed. Each share is judged as it stood at the
  end of the period (or today, if the period runs on): done on time (finished on or before the
  deadline, or without one), done late, overdue (not finished and its deadline passed) or in
  progress. A direction replaced by a newer one no longer counts (its open shares are
  superseded); the new one does.
- Per unit: the lead unit, or the unit of the lead person. Per person: the lead person, or, for
  a share given to a unit, the member who last reported on it.
- Issued outgoing documents: those numbered and issued with a date in the period (recalled or
  replaced ones included: their number was used), per document type and per the drafting unit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from edoc.core.clock import local_day_end_utc, local_day_start_utc, local_today, to_local
from edoc.core.extensions import db
from edoc.documents.access import visible
from edoc.documents.models import Direction, Document, DocumentType
from edoc.incoming.models import HandlingNote, HandlingTask, Routing
from edoc.outgoing.models import OutgoingDocument, OutgoingStatus
from edoc.users.models import Unit, User

ISSUED_STATUSES = (OutgoingStatus.ISSUED, OutgoingStatus.RECALLED, OutgoingStatus.REPLACED)
OUTCOMES = ("on_time", "late", "overdue", "in_progress")


@dataclass
class HandlingCounts:
    """received = on_time + late + overdue + in_progress."""

    received: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    in_progress: int = 0

    def add(self, outcome: str) -> None:
        self.received += 1
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass
class HandlingRow:
    label: str
    counts: HandlingCounts = field(default_factory=HandlingCounts)


@dataclass
class CountRow:
    label: str
    count: int


@dataclass
class Statistics:
    date_from: date
    date_to: date
    as_of: date  # the day each share is judged on
    units: list[HandlingRow]
    people: list[HandlingRow]
    total: HandlingCounts
    outgoing_types: list[CountRow]
    outgoing_units: list[CountRow]
    outgoing_total: int


def outcome(deadline: date | None, completed: date | None, as_of: date) -> str:
    """How a share stood on ``as_of``: finished by then (on time or late), or not."""
    if completed is not None and completed <= as_of:
        return "late" if deadline is not None and completed > deadline else "on_time"
    if deadline is not None and deadline < as_of:
        return "overdue"
    return "in_progress"


def _last_reporters(task_ids: list[int]) -> dict[int, int]:
    """For each task, the author of its latest progress note."""
    reporters: dict[int, int] = {}
    if not task_ids:
        return reporters
    rows = db.session.execute(
        select(HandlingNote.task_id, HandlingNote.author_id)
        .where(HandlingNote.task_id.in_(task_ids))
        .order_by(HandlingNote.id)
    )
    for task_id, author_id in rows:
        reporters[task_id] = author_id
    return reporters


def _sorted(rows: dict[object, HandlingRow]) -> list[HandlingRow]:
    return sorted(rows.values(), key=lambda row: (-row.counts.received, row.label))


def handling(
    viewer: User, date_from: date, date_to: date
) -> tuple[list[HandlingRow], list[HandlingRow], HandlingCounts, date]:
    """Per unit, per person and in total, the lead shares directed in the period."""
    as_of = min(date_to, local_today())
    query = visible(
        select(
            HandlingTask.id,
            HandlingTask.unit_id,
            HandlingTask.user_id,
            HandlingTask.completed_at,
            Routing.deadline,
        )
        .join(Routing, Routing.id == HandlingTask.routing_id)
        .join(Document, Document.id == HandlingTask.document_id)
        .where(
            HandlingTask.kind == "lead",
            HandlingTask.status != "superseded",
            Routing.created_at >= local_day_start_utc(date_from),
            Routing.created_at < local_day_end_utc(date_to),
        )
        .order_by(HandlingTask.id),
        viewer,
    )
    tasks = db.session.execute(query).all()
    reporters = _last_reporters([t.id for t in tasks if t.user_id is None])
    people = {u.id: u for u in db.session.scalars(select(User))}
    units = {u.id: u.name for u in db.session.scalars(select(Unit))}
    by_unit: dict[object, HandlingRow] = {}
    by_person: dict[object, HandlingRow] = {}
    total = HandlingCounts()
    no_unit, no_person = _("Chưa xác định đơn vị"), _("Giao đơn vị, chưa có người báo cáo")
    for task in tasks:
        completed = to_local(task.completed_at).date() if task.completed_at else None
        result = outcome(task.deadline, completed, as_of)
        person = people.get(task.user_id or reporters.get(task.id, 0))
        unit_id = task.unit_id or (people[task.user_id].unit_id if task.user_id else None)
        unit_label = units.get(unit_id, no_unit) if unit_id else no_unit
        by_unit.setdefault(unit_id, HandlingRow(unit_label)).counts.add(result)
        person_key = person.id if person else None
        label = person.full_name if person else no_person
        by_person.setdefault(person_key, HandlingRow(label)).counts.add(result)
        total.add(result)
    return _sorted(by_unit), _sorted(by_person), total, as_of


def issued_outgoing(
    viewer: User, date_from: date, date_to: date
) -> tuple[list[CountRow], list[CountRow], int]:
    """Issued outgoing documents dated in the period, per type and per drafting unit."""
    base = select(Document.id).where(
        Document.direction == Direction.OUTGOING,
        Document.status.in_([s.value for s in ISSUED_STATUSES]),
        Document.issued_date >= date_from,
        Document.issued_date <= date_to,
    )
    ids = visible(base, viewer).subquery()
    per_type = db.session.execute(
        select(DocumentType.name, func.count())
        .select_from(Document)
        .join(ids, ids.c.id == Document.id)
        .join(DocumentType, DocumentType.code == Document.doc_type_code)
        .group_by(DocumentType.name)
    ).all()
    per_unit = db.session.execute(
        select(Unit.name, func.count())
        .select_from(Document)
        .join(ids, ids.c.id == Document.id)
        .outerjoin(OutgoingDocument, OutgoingDocument.document_id == Document.id)
        .outerjoin(User, User.id == OutgoingDocument.drafter_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .group_by(Unit.name)
    ).all()
    no_unit = _("Chưa xác định đơn vị")

    def rows(pairs: list[tuple[str | None, int]]) -> list[CountRow]:
        merged: dict[str, int] = defaultdict(int)
        for label, count in pairs:
            merged[label or no_unit] += count
        return [CountRow(k, v) for k, v in sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))]

    types = rows([(name, count) for name, count in per_type])
    return types, rows([(name, count) for name, count in per_unit]), sum(r.count for r in types)


def statistics(viewer: User, date_from: date, date_to: date) -> Statistics:
    units, people, total, as_of = handling(viewer, date_from, date_to)
    types, drafting_units, issued = issued_outgoing(viewer, date_from, date_to)
    return Statistics(
        date_from, date_to, as_of, units, people, total, types, drafting_units, issued
    )
