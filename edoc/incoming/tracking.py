"""The handling-tracking register (sổ theo dõi giải quyết) and the dashboard counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from edoc.core.clock import local_today, to_local
from edoc.core.dashboard import LIST_LIMIT, DashboardEntry, DashboardItem
from edoc.core.extensions import db
from edoc.core.paging import count_rows
from edoc.documents.access import visible
from edoc.documents.models import Document
from edoc.incoming import services
from edoc.incoming.models import HandlingTask, IncomingDocument, IncomingStatus
from edoc.reports.tables import dmy
from edoc.users.models import Role, User


@dataclass(frozen=True)
class TrackingRow:
    incoming: IncomingDocument
    overdue: bool
    days_left: int | None


def tracking_rows(user: User, include_done: bool = False) -> list[TrackingRow]:
    statuses = [IncomingStatus.ROUTED] + ([IncomingStatus.DONE] if include_done else [])
    query = visible(
        select(IncomingDocument)
        .join(Document, Document.id == IncomingDocument.document_id)
        .where(Document.status.in_(statuses), IncomingDocument.deadline.is_not(None))
        .order_by(IncomingDocument.deadline, IncomingDocument.document_id),
        user,
    )
    today = local_today()
    rows = []
    for incoming in db.session.scalars(query):
        finished = incoming.completed_at is not None
        end = to_local(incoming.completed_at).date() if finished else today
        rows.append(
            TrackingRow(
                incoming,
                overdue=incoming.deadline < end,
                days_left=None if finished else (incoming.deadline - today).days,
            )
        )
    return rows


#: A deadline this many days away or closer is "due soon" on the dashboard.
DUE_SOON_DAYS = 3


def _listed(
    user: User, order: tuple[Any, ...], *conditions: Any
) -> tuple[int, list[IncomingDocument]]:
    """How many documents ``user`` may see meet ``conditions``, and the first ones in
    ``order`` (the same query, so the list never shows what the count would not)."""
    query = visible(
        select(IncomingDocument)
        .join(Document, Document.id == IncomingDocument.document_id)
        .where(*conditions),
        user,
    )
    return count_rows(query), list(db.session.scalars(query.order_by(*order).limit(LIST_LIMIT)))


def _entry(document: Document, note: str, urgent: bool = False) -> DashboardEntry:
    title = document.subject
    if document.number_notation:
        title = f"{document.number_notation} — {document.subject}"
    url = url_for("incoming.incoming_detail", document_id=document.id)
    return DashboardEntry(title, url, note, urgent)


def _arrived(incoming: IncomingDocument) -> str:
    return _("đến %(d)s", d=dmy(to_local(incoming.received_at).date()))


def _due(deadline: date | None, today: date) -> tuple[str, bool]:
    if deadline is None:
        return "", False
    if deadline < today:
        return _("quá hạn %(d)s", d=dmy(deadline)), True
    return _("hạn %(d)s", d=dmy(deadline)), False


def _item(
    role: Role,
    title: str,
    url: str,
    listed: tuple[int, list[IncomingDocument]],
    note: Callable[[IncomingDocument], tuple[str, bool]],
    urgent: bool = False,
) -> DashboardItem:
    count, rows = listed
    entries = tuple(_entry(i.document, *note(i)) for i in rows)
    return DashboardItem(role.label, title, count, url, urgent and count > 0, entries)


def _task_item(section: str, title: str, tasks: list[HandlingTask], today: date) -> DashboardItem:
    """Tasks, most pressing first (earliest deadline, then those without one)."""
    ordered = sorted(tasks, key=lambda t: (t.routing.deadline is None, t.routing.deadline, -t.id))
    entries = tuple(
        _entry(t.routing.incoming.document, *_due(t.routing.deadline, today))
        for t in ordered[:LIST_LIMIT]
    )
    overdue = any(t.routing.deadline and t.routing.deadline < today for t in tasks)
    link = url_for("incoming.my_tasks")
    return DashboardItem(section, title, len(tasks), link, overdue, entries)


def dashboard_items(user: User) -> list[DashboardItem]:
    """Per role, what is new, due soon, overdue and waiting for ``user``, each with its first
    ``LIST_LIMIT`` documents and a link to all of them."""
    items: list[DashboardItem] = []
    today = local_today()
    soon = today + timedelta(days=DUE_SOON_DAYS)
    newest = (IncomingDocument.received_at.desc(), IncomingDocument.document_id.desc())
    by_deadline = (IncomingDocument.deadline, IncomingDocument.document_id)
    routed = Document.status == IncomingStatus.ROUTED

    def status_url(status: IncomingStatus) -> str:
        return url_for("incoming.incoming_list", status=status.value)

    def arrived(i: IncomingDocument) -> tuple[str, bool]:
        return _arrived(i), False

    def due(i: IncomingDocument) -> tuple[str, bool]:
        return _due(i.deadline, today)

    if user.has_role(Role.CLERK):
        for status, title, urgent in (
            (IncomingStatus.RECEIVED, _("Văn bản đến chờ vào sổ / trả lại"), True),
            (IncomingStatus.REGISTERED, _("Đã vào sổ, chưa trình lãnh đạo"), False),
        ):
            listed = _listed(user, newest, Document.status == status)
            items.append(_item(Role.CLERK, title, status_url(status), listed, arrived, urgent))
    if user.has_role(Role.LEADER):
        mine = IncomingDocument.presented_to_id == user.id
        presented = IncomingStatus.PRESENTED
        items += [
            _item(
                Role.LEADER,
                _("Văn bản chờ ý kiến chỉ đạo"),
                url_for("incoming.incoming_list", status=presented.value, presented_to_id=user.id),
                _listed(user, newest, Document.status == presented, mine),
                arrived,
                urgent=True,
            ),
            _item(
                Role.LEADER,
                _("Văn bản sắp đến hạn giải quyết"),
                url_for("incoming.tracking"),
                _listed(
                    user,
                    by_deadline,
                    routed,
                    IncomingDocument.deadline >= today,
                    IncomingDocument.deadline <= soon,
                ),
                due,
            ),
            _item(
                Role.LEADER,
                _("Văn bản quá hạn giải quyết"),
                url_for("incoming.tracking"),
                _listed(user, by_deadline, routed, IncomingDocument.deadline < today),
                due,
                urgent=True,
            ),
        ]
    tasks = services.tasks_for(user)
    if tasks or user.has_role(Role.SPECIALIST):
        section = (
            Role.SPECIALIST if user.has_role(Role.SPECIALIST) else next(iter(user.roles))
        ).label
        deadline_of = [(t, t.routing.deadline) for t in tasks]
        items += [
            _task_item(
                section,
                _("Văn bản mới được giao"),
                [t for t in tasks if t.status == "open" and not t.notes],
                today,
            ),
            _task_item(
                section,
                _("Sắp đến hạn"),
                [t for t, d in deadline_of if d is not None and today <= d <= soon],
                today,
            ),
            _task_item(
                section, _("Việc quá hạn"), [t for t, d in deadline_of if d and d < today], today
            ),
            _task_item(section, _("Văn bản được giao xử lý"), tasks, today),
        ]
    return items
