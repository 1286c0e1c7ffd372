"""Business events become notifications, in the transaction of the change they announce.

:data:`edoc.core.signals.document_event` is sent by :func:`edoc.documents.records.audit`
inside the change's transaction, so a notification (and its queued e-mail) commits with the
change or rolls back with it. The areas that act (incoming, outgoing, discussion) know
nothing of notifications.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from edoc.core.extensions import db
from edoc.discussion.services import get_message
from edoc.documents.models import Document
from edoc.notifications.models import NotificationKind
from edoc.notifications.services import notify, users_in_units
from edoc.outgoing.models import OutgoingDocument
from edoc.users.models import User

K = NotificationKind
#: The actions by which a leader (or reviewer) sends a draft back to its drafter.
RETURN_ACTIONS = frozenset({"outgoing.returned"})
EXCERPT = 300


def _by_login(*logins: object) -> list[User]:
    names = [str(login) for login in logins if login]
    if not names:
        return []
    return list(db.session.scalars(select(User).where(User.username.in_(names))))


def _routed(details: dict[str, Any]) -> list[User]:
    """The lead person, else everyone in the lead unit; everyone in the cooperating units."""
    people: list[User] = []
    lead_user_id = details.get("lead_user_id")
    if lead_user_id:
        lead = db.session.get(User, lead_user_id)
        people += [lead] if lead is not None else []
    elif details.get("lead_unit_id"):
        people += users_in_units([details["lead_unit_id"]])
    people += users_in_units([u for u in details.get("cooperating_unit_ids") or []])
    return list({person.id: person for person in people}.values())


def _recipients(
    action: str, document_id: int, details: dict[str, Any]
) -> list[tuple[User, K, str]]:
    if action == "incoming.routed":
        return [(u, K.ASSIGNED, details.get("direction") or "") for u in _routed(details)]
    if action == "incoming.presented":
        return [(u, K.ASSIGNED, "") for u in _by_login(details.get("leader"))]
    if action == "outgoing.submitted":
        return [(u, K.TO_SIGN, "") for u in _by_login(details.get("signer"))]
    if action in RETURN_ACTIONS:
        outgoing = db.session.get(OutgoingDocument, document_id)
        reason = str(details.get("reason") or details.get("comment") or "")
        return [(outgoing.drafter, K.RETURNED, reason)] if outgoing is not None else []
    if action == "document.message_posted":
        message = get_message(int(details.get("message_id") or 0))
        excerpt = message.body[:EXCERPT] if message is not None else ""
        return [(u, K.MENTION, excerpt) for u in _by_login(*details.get("mentioned") or [])]
    return []


WATCHED = frozenset(
    {"incoming.routed", "incoming.presented", "outgoing.submitted", "document.message_posted"}
    | RETURN_ACTIONS
)


def _on_document_event(
    action: str, *, actor: Any, document_id: int, details: dict[str, Any], **_: Any
) -> None:
    if action not in WATCHED:
        return
    document = db.session.get(Document, document_id)
    if document is None:
        return
    actor_id = getattr(actor, "id", None)
    for user, kind, note in _recipients(action, document_id, details):
        notify(user, kind, document, actor_id=actor_id, event=action, note=note)


def connect(signal: Any) -> None:
    """Listen to ``document_event`` (blinker keeps one connection per receiver)."""
    signal.connect(_on_document_event)
