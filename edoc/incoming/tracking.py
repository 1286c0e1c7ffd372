"""The handling-tracking register (sổ theo dõi giải quyết) and the dashboard counts."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from edoc.core.clock import local_today, to_local
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


def _count(user: User, *conditions: object) -> int:
    query = visible(
        select(func.count())
        .select_from(IncomingDocument)
        .join(Document, Document.id == IncomingDocument.document_id)
        .where(*conditions),
        user,
    )
    return db.session.scalar(query) or 0


def _waiting(
    user: User, role: Role, title: str, status: IncomingStatus, *also: object, urgent: bool = False
) -> DashboardItem:
    """The documents ``user`` may see waiting in ``status``, linked to that list."""
    count = _count(user, Document.status == status, *also)
    link = url_for("incoming.incoming_list", status=status.value)
    return DashboardItem(role.label, title, count, link, urgent and count > 0)


def dashboard_items(user: User) -> list[DashboardItem]:
    items: list[DashboardItem] = []
    today = local_today()
    if user.has_role(Role.CLERK):
        items += [
            _waiting(
                user,
                Role.CLERK,
                _("Văn bản đến chờ vào sổ / trả lại"),
                IncomingStatus.RECEIVED,
                urgent=True,
            ),
            _waiting(
                user, Role.CLERK, _("Đã vào sổ, chưa trình lãnh đạo"), IncomingStatus.REGISTERED
            ),
        ]
    if user.has_role(Role.LEADER):
        mine = IncomingDocument.presented_to_id == user.id
        late = _count(
            user, Document.status == IncomingStatus.ROUTED, IncomingDocument.deadline < today
        )
        items += [
            _waiting(
                user,
                Role.LEADER,
                _("Văn bản chờ ý kiến chỉ đạo"),
                IncomingStatus.PRESENTED,
                mine,
                urgent=True,
            ),
            DashboardItem(
                Role.LEADER.label,
                _("Văn bản quá hạn giải quyết"),
                late,
                url_for("incoming.tracking"),
                late > 0,
            ),
        ]
    tasks = services.tasks_for(user)
    if tasks or user.has_role(Role.SPECIALIST):
        section = (
            Role.SPECIALIST if user.has_role(Role.SPECIALIST) else next(iter(user.roles))
        ).label
        overdue = [t for t in tasks if t.routing.deadline and t.routing.deadline < today]
        link = url_for("incoming.my_tasks")
        items += [
            DashboardItem(section, _("Văn bản được giao xử lý"), len(tasks), link),
            DashboardItem(section, _("Việc quá hạn"), len(overdue), link, bool(overdue)),
        ]
    return items
