"""The daily digest: one e-mail per person and day listing what came for them since the
previous digest and is still unread, for the kinds they want in it.

The day's digest covers the 24 hours before that day's digest hour (``EDOC_DIGEST_HOUR``,
local), whenever the task actually runs, and is queued once per person and day: running it
again (the hourly task, the command) adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from edoc.core.clock import local_day_start_utc, local_today, to_local
from edoc.core.extensions import db
from edoc.documents.access import visible
from edoc.documents.models import Document
from edoc.notifications import mail
from edoc.notifications.models import KIND_LABELS, Notification
from edoc.notifications.services import preferences, unread_count
from edoc.notifications.wording import describe, title
from edoc.users.models import User

LISTED = 30  # items written out; the rest are counted


def window(day: date) -> tuple[datetime, datetime]:
    """The UTC instants the digest of local ``day`` covers."""
    end = local_day_start_utc(day) + timedelta(hours=mail.settings().digest_hour)
    return end - timedelta(days=1), end


def _body(user: User, day: date, items: list[Notification], unread: int) -> str:
    lines = [
        _("Kính gửi %(name)s,", name=user.full_name),
        "",
        _(
            "Thông báo mới chưa đọc (%(n)s), tổng hợp ngày %(day)s:",
            n=len(items),
            day=day.strftime("%d/%m/%Y"),
        ),
        "",
    ]
    for item in items[:LISTED]:
        document = item.document
        named = _("một văn bản mật") if document.secrecy > 0 else title(document)
        when = to_local(item.created_at).strftime("%d/%m/%Y %H:%M")
        lines.append(f"- {when} · {KIND_LABELS[item.kind]}: {named}")  # type: ignore[index]
        lines.append(f"  {describe(item)} {mail.link(f'/notifications/{item.id}/open')}")
    if len(items) > LISTED:
        lines.append(_("… và %(n)s thông báo khác.", n=len(items) - LISTED))
    lines += [
        "",
        _(
            "Tổng số thông báo chưa đọc: %(n)s — %(url)s",
            n=unread,
            url=mail.link("/notifications/"),
        ),
    ]
    return "\n".join(lines) + mail.footer()


def queue_digests(day: date | None = None) -> int:
    """Queue the digest of ``day`` (default today) for each person with news; how many."""
    if not mail.configured():
        return 0
    day = day or local_today()
    start, end = window(day)
    people = db.session.scalars(
        select(User)
        .join(Notification, Notification.user_id == User.id)
        .where(
            User.active.is_(True),
            User.email != "",
            Notification.read_at.is_(None),
            Notification.created_at >= start,
            Notification.created_at < end,
        )
        .distinct()
        .order_by(User.id)
    ).all()
    queued = 0
    for user in people:
        kinds = [p.kind for p in preferences(user) if p.digest]
        if not kinds:
            continue
        mine = visible(
            select(Notification)
            .join(Document, Document.id == Notification.document_id)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None)),
            user,
        )
        items = list(
            db.session.scalars(
                mine.where(
                    Notification.kind.in_(kinds),
                    Notification.created_at >= start,
                    Notification.created_at < end,
                ).order_by(Notification.id)
            )
        )
        if not items:
            continue
        unread = unread_count(user)  # what the bell shows, not rows kept only for the digest
        subject = _("[edoc] Tổng hợp thông báo ngày %(day)s", day=day.strftime("%d/%m/%Y"))
        body = _body(user, day, items, unread)
        if mail.queue(
            user.email,
            subject,
            body,
            user_id=user.id,
            dedup_key=f"digest:{user.id}:{day.isoformat()}",
        ):
            queued += 1
    db.session.flush()
    return queued


def digest_due(now_local: datetime) -> bool:
    return now_local.hour >= mail.settings().digest_hour
