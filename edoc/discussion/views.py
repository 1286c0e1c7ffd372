"""The discussion box on document pages (a panel the incoming and outgoing pages show), the
form it posts to without JavaScript, and ``init_discussion``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_login import current_user
from sqlalchemy import select

from edoc.core.auth import login_required
from edoc.core.errors import ValidationError
from edoc.core.extensions import db
from edoc.discussion import services
from edoc.discussion.models import DiscussionMessage
from edoc.documents.access import get_visible_document
from edoc.documents.models import Direction
from edoc.documents.panels import register_panel
from edoc.users.current import signed_in
from edoc.users.models import User

bp = Blueprint("discussion", __name__, url_prefix="/documents")

#: How often an open (visible) page asks for new messages: under 2 s, so a message shows on
#: the other person's page within 2 s. The page's script reads it from ``data-poll-ms``.
POLL_MS = 1500


def as_item(message: DiscussionMessage) -> dict[str, Any]:
    """One message as the page's script and the API show it."""
    ids = message.mentioned_ids or []
    mentioned = (
        list(db.session.scalars(select(User.username).where(User.id.in_(ids)))) if ids else []
    )
    return {
        "id": message.id,
        "document_id": message.document_id,
        "author": message.author,
        "body": message.body,
        "mentioned": mentioned,
        "created_at": message.created_at,
        "created_at_local": format_datetime(message.created_at, "dd/MM/yyyy HH:mm"),
    }


def _document_page(document_id: int, direction: str) -> str:
    if direction == Direction.OUTGOING:
        return url_for("outgoing.outgoing_detail", document_id=document_id)
    return url_for("incoming.incoming_detail", document_id=document_id)


@bp.route("/<int:document_id>/discussion", methods=["POST"])
@login_required
def post(document_id: int) -> Any:
    """The box's form without JavaScript: post, then back to the document's page."""
    document = get_visible_document(document_id, signed_in())
    try:
        services.post_message(document_id, signed_in(), request.form.get("body", ""))
    except ValidationError as refused:
        flash(refused.message, "error")
    return redirect(_document_page(document_id, document.direction) + "#trao-doi")


def render_panel(document_id: int) -> str | None:
    """The thread and its form, for whoever may see the document (the page checked it)."""
    if not current_user.is_authenticated:
        return None
    me = signed_in()
    items = services.messages(document_id, me)
    return render_template(
        "discussion/_panel.html",
        document_id=document_id,
        items=[as_item(m) for m in items],
        last_id=items[-1].id if items else 0,
        poll_ms=POLL_MS,
        people=services.mentionable(document_id, me, limit=200),
    )


def init_discussion(app: Flask) -> None:
    app.register_blueprint(bp)
    register_panel(app, "incoming.detail", render_panel)
    register_panel(app, "outgoing.detail", render_panel)
