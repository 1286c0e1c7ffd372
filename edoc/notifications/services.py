"""Notifications: the one way each is made, read and marked, and each person's preferences.

A notification is made only for an active person who may see its document now
(:func:`edoc.documents.access.can_see`, secrecy and draft readers), never for the person who
acted. Lists and counts apply the same rule again when read (``access.visible``), so a
clearance lowered later hides what was made before. Services flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from edoc.audit.services import record
from edoc.core.clock import utcnow
from edoc.core.errors import NotFound
from edoc.core.extensions import db
from edoc.core.paging import count_rows, one_page
from edoc.documents.access import can_see, visible
from edoc.documents.models import Document
from edoc.notifications import mail
from edoc.notifications.models import (
    KIND_LABELS,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from edoc.users.models import User

K = NotificationKind


@dataclass(frozen=True)
class Preference:
    """How one person hears of one kind."""

    kind: str
    in_app: bool
    email: bool
    digest: bool

    @property
    def label(self) -> str:
        return str(KIND_LABELS[K(self.kind)])


#: Without a saved choice everything shows in the app, and each event is mailed exactly once:
#: what a person must act on now (given, to sign, returned, named) by e-mail at once and not
#: again in the digest; the routine deadline reminders only in the daily digest, not at once.
#: Someone who wants both ticks both on the preferences page.
DEFAULTS = {
    K.ASSIGNED: Preference(K.ASSIGNED, True, True, False),
    K.TO_SIGN: Preference(K.TO_SIGN, True, True, False),
    K.RETURNED: Preference(K.RETURNED, True, True, False),
    K.DUE_TOMORROW: Preference(K.DUE_TOMORROW, True, False, True),
    K.OVERDUE: Preference(K.OVERDUE, True, False, True),
    K.MENTION: Preference(K.MENTION, True, True, False),
}


def preferences(user: User) -> list[Preference]:
    """The person's choice for every kind (saved, or the default), in the kinds' order."""
    saved = {
        row.kind: row
        for row in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    chosen = []
    for kind, default in DEFAULTS.items():
        row = saved.get(kind.value)
        chosen.append(
            default if row is None else Preference(kind.value, row.in_app, row.email, row.digest)
        )
    return chosen


def preferences_of(user_ids: list[int], kind: K) -> dict[int, Preference]:
    """Each person's choice for one kind, in one query (the periodic reminders ask for many)."""
    chosen = dict.fromkeys(user_ids, DEFAULTS[kind])
    if user_ids:
        for row in db.session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.user_id.in_(user_ids),
                NotificationPreference.kind == kind.value,
            )
        ):
            chosen[row.user_id] = Preference(kind.value, row.in_app, row.email, row.digest)
    return chosen


def preference(user: User, kind: str) -> Preference:
    return next(p for p in preferences(user) if p.kind == kind)


def save_preferences(user: User, choices: list[dict[str, object]]) -> list[Preference]:
    """Store the person's choices (kinds not given keep theirs); audited when something
    changed."""
    current = {p.kind: p for p in preferences(user)}
    rows = {
        row.kind: row
        for row in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    changed: dict[str, dict[str, bool]] = {}
    for choice in choices:
        kind = K(str(choice["kind"])).value
        values = {
            name: bool(choice.get(name, getattr(current[kind], name)))
            for name in ("in_app", "email", "digest")
        }
        if values == {n: getattr(current[kind], n) for n in values}:
            continue
        row = rows.get(kind)
        if row is None:
            row = NotificationPreference(user_id=user.id, kind=kind)
            db.session.add(row)
            rows[kind] = row
        for name, value in values.items():
            setattr(row, name, value)
        changed[kind] = values
    if changed:
        db.session.flush()
        record(
            "notifications.preferences_saved",
            actor=user,
            object_type="user",
            object_id=user.id,
            changes=changed,
        )
    return preferences(user)


def notify(
    user: User,
    kind: K,
    document: Document,
    *,
    actor_id: int | None = None,
    event: str = "",
    note: str = "",
    dedup_key: str | None = None,
    chosen: Preference | None = None,
) -> Notification | None:
    """Tell ``user`` about ``document`` as they chose; nothing for the actor themself, an
    inactive account, someone who may not see the document, or a reminder already made
    (``dedup_key``). The e-mail, if any, goes to the outbox in the same transaction.
    ``chosen``: the person's preference for ``kind`` when the caller loaded it already (in
    bulk, with the existing ``dedup_key`` rows: then this asks the database nothing more)."""
    if not user.active or user.id == actor_id or not can_see(user, document):
        return None
    if chosen is None:
        if dedup_key and db.session.scalar(
            select(Notification.id).where(Notification.dedup_key == dedup_key)
        ):
            return None
        chosen = preference(user, kind.value)
    if not (chosen.in_app or chosen.email or chosen.digest):
        return None
    made = Notification(
        user_id=user.id,
        kind=kind.value,
        document_id=document.id,
        actor_id=actor_id,
        event=event,
        note=note[:1000],
        in_app=chosen.in_app,
        dedup_key=dedup_key,
    )
    if dedup_key:  # two reminder runs at once: the second finds the first's row and stops
        try:
            with db.session.begin_nested():
                db.session.add(made)
        except IntegrityError:
            return None
    else:
        db.session.add(made)
    db.session.flush()
    if chosen.email and user.email and mail.configured():
        mail.queue_notification(made, user)
    return made


def _own(user: User) -> Select:
    """All the person's notifications on documents they may see now, in the app or not: an
    e-mail or digest link opens its notification even for someone who turned the app off."""
    query = (
        select(Notification)
        .join(Document, Document.id == Notification.document_id)
        .where(Notification.user_id == user.id)
    )
    return visible(query, user)


def _mine(user: User) -> Select:
    """The person's in-app notifications (the bell and the page) on documents they may see."""
    return _own(user).where(Notification.in_app.is_(True))


def unread_count(user: User) -> int:
    """The bell's number: unread notifications on documents the person may see now."""
    return count_rows(_mine(user).where(Notification.read_at.is_(None)))


def list_for(
    user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 30
) -> tuple[int, list[Notification]]:
    """One page of the person's notifications, newest first."""
    query = _mine(user)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return one_page(query, page, per_page, Notification.id.desc())


def get_notification(notification_id: int, user: User) -> Notification:
    """One of the person's own notifications on a document they may see (404 otherwise),
    whether or not the bell shows it (its e-mail and the digest link to it)."""
    found = db.session.scalar(_own(user).where(Notification.id == notification_id))
    if found is None:
        raise NotFound("notification_not_found", _("Không tìm thấy thông báo."))
    return found


def mark_read(notification_id: int, user: User) -> Notification:
    found = get_notification(notification_id, user)
    if found.read_at is None:
        found.read_at = utcnow()
        db.session.flush()
    return found


def mark_all_read(user: User) -> int:
    """Every unread notification of the person is read now; how many were."""
    ids = list(
        db.session.scalars(
            _mine(user).where(Notification.read_at.is_(None)).with_only_columns(Notification.id)
        )
    )
    if ids:
        db.session.execute(
            update(Notification).where(Notification.id.in_(ids)).values(read_at=utcnow())
        )
        db.session.flush()
    return len(ids)


def users_in_units(unit_ids: list[int]) -> list[User]:
    if not unit_ids:
        return []
    return list(
        db.session.scalars(
            select(User).where(User.unit_id.in_(unit_ids), User.active.is_(True)).order_by(User.id)
        )
    )
