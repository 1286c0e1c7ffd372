"""How a notification is said to people: in the app, in an e-mail, in the digest."""

from __future__ import annotations

from flask_babel import gettext as _

from edoc.documents.models import Document
from edoc.notifications.models import Notification, NotificationKind

K = NotificationKind


def describe(notification: Notification) -> str:
    """One Vietnamese sentence saying what happened (no document text: see ``title``)."""
    who = notification.actor.full_name if notification.actor else _("Hệ thống")
    kind = notification.kind
    if kind == K.ASSIGNED:
        if notification.event == "incoming.presented":
            return _("%(who)s trình văn bản xin ý kiến chỉ đạo.", who=who)
        return _("%(who)s giao xử lý văn bản.", who=who)
    if kind == K.TO_SIGN:
        return _("%(who)s trình ký dự thảo.", who=who)
    if kind == K.RETURNED:
        return _("%(who)s trả lại dự thảo.", who=who)
    if kind == K.DUE_TOMORROW:
        return _("Văn bản đến hạn giải quyết vào ngày mai (%(day)s).", day=notification.note)
    if kind == K.OVERDUE:
        return _("Văn bản đã quá hạn giải quyết (hạn %(day)s).", day=notification.note)
    return _("%(who)s nhắc đến bạn trong trao đổi về văn bản.", who=who)


def note_of(notification: Notification) -> str:
    """The short text beside it (a mention's words, a return's reason); deadline kinds keep
    their date there, said by :func:`describe` instead."""
    if notification.kind in (K.DUE_TOMORROW, K.OVERDUE):
        return ""
    return notification.note


def title(document: Document) -> str:
    """How a document is named to a reader who may see it."""
    number = document.number_notation or ""
    return f"{number} — {document.subject}" if number else document.subject
