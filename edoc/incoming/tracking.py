"""The handling-tracking register (sổ theo dõi giải quyết) and the dashboard counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from edoc.core.clock import to_local, utcnow
from edoc.core.dashboard import DashboardItem
from edoc.core.extensions import db
from edoc.documents.access import visible
from edoc.documents.models import Document
from edoc.incoming import services
from edoc.incoming.models import IncomingDocument, IncomingStatus
from edoc.users.models import Role, User


@dataclass(frozen=True)
class TrackingRow:
    incoming: IncomingDocument
    overdue: bool
    days_left: int | None


def _today() -> date:
    return to_local(utcnow()).date()


def tracking_rows(user: User, include_done: bool = False) -> list[TrackingRow]:
    statuses = [IncomingStatus.ROUTED] + ([IncomingStatus.DONE] if include_done else [])
    query = visible(
        select(IncomingDocument)
        .join(Document, Document.id == IncomingDocument.document_id)
        .where(Document.status.in_(statuses), IncomingDocument.deadline.is_not(None))
        .order_by(IncomingDocument.deadline, IncomingDocument.document_id),
        user,
    )
    today = _today()
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


def _count(user: User, *conditions: object) -> int:
    query = visible(
        select(func.count())
        .select_from(IncomingDocument)
        .join(Document, Document.id == IncomingDocument.document_id)
        .where(*conditions),
        user,
    )
    return db.session.scalar(query) or 0


def dashboard_items(user: User) -> list[DashboardItem]:
    items: list[DashboardItem] = []
    overdue_condition = (
        Document.status == IncomingStatus.ROUTED,
        IncomingDocument.deadline < _today(),
    )
    if user.has_role(Role.CLERK):
        section = Role.CLERK.label
        held = _count(user, Document.status == IncomingStatus.RECEIVED)
        registered = _count(user, Document.status == IncomingStatus.REGISTERED)
        items += [
            DashboardItem(
                section,
                _("Văn bản đến chờ vào sổ / trả lại"),
                held,
                url_for("incoming.incoming_list", status=IncomingStatus.RECEIVED.value),
                held > 0,
            ),
            DashboardItem(
                section,
                _("Đã vào sổ, chưa trình lãnh đạo"),
                registered,
                url_for("incoming.incoming_list", status=IncomingStatus.REGISTERED.value),
            ),
        ]
    if user.has_role(Role.LEADER):
        section = Role.LEADER.label
        waiting = _count(
            user,
            Document.status == IncomingStatus.PRESENTED,
            IncomingDocument.presented_to_id == user.id,
        )
        overdue = _count(user, *overdue_condition)
        items += [
            DashboardItem(
                section,
                _("Văn bản chờ ý kiến chỉ đạo"),
                waiting,
                url_for("incoming.incoming_list", status=IncomingStatus.PRESENTED.value),
                waiting > 0,
            ),
            DashboardItem(
                section,
                _("Văn bản quá hạn giải quyết"),
                overdue,
                url_for("incoming.tracking"),
                overdue > 0,
            ),
        ]
    tasks = services.tasks_for(user)
    if tasks or user.has_role(Role.SPECIALIST):
        section = (
            Role.SPECIALIST if user.has_role(Role.SPECIALIST) else next(iter(user.roles))
        ).label
        late = [t for t in tasks if t.routing.deadline and t.routing.deadline < _today()]
        items += [
            DashboardItem(
                section, _("Văn bản được giao xử lý"), len(tasks), url_for("incoming.my_tasks")
            ),
            DashboardItem(
                section, _("Việc quá hạn"), len(late), url_for("incoming.my_tasks"), bool(late)
            ),
        ]
    return items
