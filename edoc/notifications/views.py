"""The notifications page, marking read, preferences, the bell's count, and
``init_notifications`` that plugs the area into the app."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from edoc.core.auth import login_required
from edoc.core.paging import page_count
from edoc.core.signals import document_event
from edoc.core.transactions import kick_after_request
from edoc.documents.models import Direction, Document
from edoc.notifications import events, mail, services
from edoc.notifications.models import Notification
from edoc.notifications.tasks import send_emails_task
from edoc.notifications.wording import describe, note_of, title
from edoc.users.current import signed_in

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 30


def document_url(document: Document) -> str:
    if document.direction == Direction.OUTGOING:
        return url_for("outgoing.outgoing_detail", document_id=document.id)
    return url_for("incoming.incoming_detail", document_id=document.id)


def as_item(notification: Notification) -> dict[str, Any]:
    """What the page and the API show of one notification."""
    return {
        "id": notification.id,
        "kind": notification.kind,
        "kind_label": notification.kind_label,
        "text": describe(notification),
        "note": note_of(notification),
        "document_id": notification.document_id,
        "document_title": title(notification.document),
        "url": document_url(notification.document),
        "actor": notification.actor.full_name if notification.actor else None,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


@bp.route("/")
@login_required
def notification_list() -> Any:
    unread_only = request.args.get("unread") == "1"
    page = max(1, min(request.args.get("page", 1, type=int), 100000))
    total, items = services.list_for(
        signed_in(), unread_only=unread_only, page=page, per_page=PER_PAGE
    )
    pages = page_count(total, PER_PAGE)
    if page > pages > 0:
        return redirect(
            url_for(".notification_list", unread=request.args.get("unread"), page=pages)
        )
    return render_template(
        "notifications/list.html",
        items=[as_item(n) for n in items],
        total=total,
        page=page,
        pages=pages,
        unread_only=unread_only,
        unread=services.unread_count(signed_in()),
    )


@bp.route("/<int:notification_id>/open")
@login_required
def notification_open(notification_id: int) -> Any:
    """The link of a notification (on the page, in an e-mail): read it, go to the document."""
    found = services.mark_read(notification_id, signed_in())
    return redirect(document_url(found.document))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def notification_read(notification_id: int) -> Any:
    services.mark_read(notification_id, signed_in())
    return redirect(url_for(".notification_list", unread=request.form.get("unread") or None))


@bp.route("/read-all", methods=["POST"])
@login_required
def notification_read_all() -> Any:
    count = services.mark_all_read(signed_in())
    flash(_("Đã đánh dấu %(n)s thông báo là đã đọc.", n=count), "success")
    return redirect(url_for(".notification_list"))


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> Any:
    me = signed_in()
    if request.method == "POST":
        choices = [
            {
                "kind": p.kind,
                "in_app": request.form.get(f"{p.kind}.in_app") == "1",
                "email": request.form.get(f"{p.kind}.email") == "1",
                "digest": request.form.get(f"{p.kind}.digest") == "1",
            }
            for p in services.preferences(me)
        ]
        services.save_preferences(me, choices)
        flash(_("Đã lưu cách nhận thông báo."), "success")
        return redirect(url_for(".preferences"))
    return render_template(
        "notifications/preferences.html",
        preferences=services.preferences(me),
        email=me.email,
        smtp=mail.configured(),
    )


def unread_notifications() -> int:
    """The bell's number for the signed-in person (once per request)."""
    if not current_user.is_authenticated:
        return 0
    if "notification_unread" not in g:
        try:
            g.notification_unread = services.unread_count(signed_in())
        except SQLAlchemyError:  # the error page of a failed database: show it, bell empty
            current_app.logger.warning("unread notifications not counted", exc_info=True)
            g.notification_unread = 0
    return g.notification_unread  # type: ignore[no-any-return]


def init_notifications(app: Flask) -> None:
    """Hear document events, serve the pages, give templates the bell's count, and kick the
    e-mail task after requests that queued something."""
    events.connect(document_event)
    app.register_blueprint(bp)
    app.context_processor(lambda: {"unread_notifications": unread_notifications})
    kick_after_request(app, mail.take_flag, send_emails_task, "sending e-mails")
