"""Deadline reminders: a document due tomorrow, a document overdue, told to whoever holds an
open handling task on it, once per person, document and day whatever how often it runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from edoc.core.clock import local_today
from edoc.core.extensions import db
from edoc.incoming.models import HandlingTask, IncomingDocument
from edoc.notifications.models import NotificationKind
from edoc.notifications.services import notify, users_in_units
from edoc.users.models import User

K = NotificationKind
OPEN = ("open", "in_progress")


def _holders(document_id: int) -> list[User]:
    """People holding an open task: the named person, else everyone in the task's unit."""
    tasks = db.session.scalars(
        select(HandlingTask).where(
            HandlingTask.document_id == document_id, HandlingTask.status.in_(OPEN)
        )
    )
    people: dict[int, User] = {}
    for task in tasks:
        if task.user is not None:
            people[task.user.id] = task.user
        elif task.unit_id is not None:
            people.update({u.id: u for u in users_in_units([task.unit_id])})
    return list(people.values())


def notify_deadlines() -> int:
    """Reminders for today (local); how many were made. Idempotent within the day."""
    today = local_today()
    tomorrow = today + timedelta(days=1)
    waiting = db.session.scalars(
        select(IncomingDocument)
        .where(
            IncomingDocument.deadline.is_not(None),
            IncomingDocument.deadline <= tomorrow,
            IncomingDocument.deadline != today,
            IncomingDocument.completed_at.is_(None),
        )
        .order_by(IncomingDocument.document_id)
    )
    made = 0
    for incoming in waiting:
        kind = K.DUE_TOMORROW if incoming.deadline == tomorrow else K.OVERDUE
        day = incoming.deadline.strftime("%d/%m/%Y")  # type: ignore[union-attr]
        for person in _holders(incoming.document_id):
            key = f"{kind.value}:{incoming.document_id}:{person.id}:{today.isoformat()}"
            if notify(person, kind, incoming.document, note=day, dedup_key=key):
                made += 1
    db.session.flush()
    return made
