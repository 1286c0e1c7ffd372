"""Deadline reminders: a document due tomorrow, a document overdue, told to whoever holds an
open handling task on it.

Each is made once, however often the task runs: "due tomorrow" once per document, holder
and deadline; "overdue" once per document, holder and deadline, then again once a week
while the document stays overdue (``dedup_key`` counts the weeks, not the days). A deadline
moved to a new date reminds again for the new one. Holders, their preferences and the
reminders already made are loaded in bulk: the run asks the database a fixed number of
questions whatever the number of people.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, or_, select

from edoc.core.clock import local_today
from edoc.core.extensions import db
from edoc.incoming.models import HandlingTask, IncomingDocument
from edoc.notifications.models import Notification, NotificationKind
from edoc.notifications.services import notify, preferences_of
from edoc.users.models import User

K = NotificationKind
OPEN = ("open", "in_progress")
REPEAT = timedelta(days=7)  # an overdue document is recalled once a week


def _holders(document_ids: list[int]) -> dict[int, list[User]]:
    """Per document, the people holding an open task on it: the named person, else everyone
    active in the task's unit. Two queries for all documents."""
    if not document_ids:
        return {}
    tasks = db.session.execute(
        select(HandlingTask.document_id, HandlingTask.user_id, HandlingTask.unit_id).where(
            HandlingTask.document_id.in_(document_ids), HandlingTask.status.in_(OPEN)
        )
    ).all()
    user_ids = {t.user_id for t in tasks if t.user_id is not None}
    unit_ids = {t.unit_id for t in tasks if t.user_id is None and t.unit_id is not None}
    people = (
        db.session.scalars(
            select(User).where(
                or_(User.id.in_(user_ids), and_(User.unit_id.in_(unit_ids), User.active.is_(True)))
            )
        ).all()
        if user_ids or unit_ids
        else []
    )
    by_unit: dict[int, list[User]] = {}
    for person in people:
        if person.unit_id is not None and person.active:
            by_unit.setdefault(person.unit_id, []).append(person)
    by_id = {person.id: person for person in people}
    holders: dict[int, dict[int, User]] = {}
    for task in tasks:
        found = holders.setdefault(task.document_id, {})
        if task.user_id is not None:
            found[task.user_id] = by_id[task.user_id]
        else:
            found.update({u.id: u for u in by_unit.get(task.unit_id, [])})
    return {doc: sorted(found.values(), key=lambda u: u.id) for doc, found in holders.items()}


def reminder_key(kind: K, document_id: int, user_id: int, deadline: date, today: date) -> str:
    """The reminder's ``dedup_key``: no date of the run in it, so it is made once (overdue:
    once per week late)."""
    key = f"{kind.value}:{document_id}:{user_id}:{deadline.isoformat()}"
    if kind is K.OVERDUE:
        key += f":w{(today - deadline).days // REPEAT.days}"
    return key


def notify_deadlines() -> int:
    """Reminders for today (local); how many were made. Idempotent."""
    today = local_today()
    tomorrow = today + timedelta(days=1)
    waiting = list(
        db.session.scalars(
            select(IncomingDocument)
            .where(
                IncomingDocument.deadline.is_not(None),
                IncomingDocument.deadline <= tomorrow,
                IncomingDocument.deadline != today,
                IncomingDocument.completed_at.is_(None),
            )
            .order_by(IncomingDocument.document_id)
        )
    )
    holders = _holders([incoming.document_id for incoming in waiting])
    planned = []
    for incoming in waiting:
        deadline: date = incoming.deadline  # type: ignore[assignment]
        kind = K.DUE_TOMORROW if deadline == tomorrow else K.OVERDUE
        for person in holders.get(incoming.document_id, []):
            key = reminder_key(kind, incoming.document_id, person.id, deadline, today)
            planned.append((incoming, kind, person, key))
    if not planned:
        return 0
    keys = [key for *_rest, key in planned]
    made_before = set(
        db.session.scalars(select(Notification.dedup_key).where(Notification.dedup_key.in_(keys)))
    )
    people = sorted({person.id for _i, _k, person, _key in planned})
    chosen = {kind: preferences_of(people, kind) for kind in (K.DUE_TOMORROW, K.OVERDUE)}
    made = 0
    for incoming, kind, person, key in planned:
        if key in made_before:
            continue
        note = incoming.deadline.strftime("%d/%m/%Y")  # type: ignore[union-attr]
        if notify(
            person,
            kind,
            incoming.document,
            note=note,
            dedup_key=key,
            chosen=chosen[kind][person.id],
        ):
            made += 1
    db.session.flush()
    return made
