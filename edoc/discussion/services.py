"""Posting to and reading a document's discussion thread; who may be named in it.

Everyone who may see the document (:func:`edoc.documents.access.can_see`: secrecy, and the
readers of a draft) may read and write its thread; anyone else gets the same 404 as for the
document itself. A mention (``@login``) must name an active person who may see the document:
naming someone else is refused, so nobody believes they told a person who cannot read it.
Each message is audited (``document.message_posted``, with the logins named but never the
text, which may be a secret document's); the notifications area hears that event.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select

from edoc.core.errors import ValidationError
from edoc.core.extensions import db
from edoc.discussion.models import DiscussionMessage
from edoc.documents import records
from edoc.documents.access import can_see, get_visible_document
from edoc.documents.models import Document
from edoc.users.models import User
from search.analysis import fold

MAX_LENGTH = 4000
PAGE = 200  # messages per answer: a poll after the last one seen gets the few new ones
#: ``@login`` at the start or after a space or bracket (so ``a@b.vn`` is not a mention). A
#: login is letters (any script: ``\w`` is Unicode), digits, ``_`` and ``.`` (what
#: :func:`edoc.users.services.create_user` accepts); logins are
#: compared without case (``@NguyenVanA`` and ``@nguyenvana`` name the same person).
MENTION = re.compile(r"(?<![\w.@])@(\w[\w.]{0,63})")


def mentioned_logins(body: str) -> list[str]:
    """The logins a text names, in order, once each (a trailing dot ends a sentence)."""
    found = (match.rstrip(".") for match in MENTION.findall(body))
    return list(dict.fromkeys(login.lower() for login in found if login))


def _people_named(document: Document, logins: list[str]) -> list[User]:
    if not logins:
        return []
    users = {
        u.username.lower(): u
        for u in db.session.scalars(select(User).where(func.lower(User.username).in_(logins)))
    }
    unknown = [f"@{login}" for login in logins if login not in users or not users[login].active]
    if unknown:
        raise ValidationError(
            "unknown_mention",
            _("Không có người dùng %(who)s.", who=", ".join(unknown)),
            details={"body": _("Không có người dùng %(who)s.", who=", ".join(unknown))},
        )
    blind = [f"@{login}" for login in logins if not can_see(users[login], document)]
    if blind:
        message = _("%(who)s không được xem văn bản này.", who=", ".join(blind))
        raise ValidationError("mention_not_allowed", message, details={"body": message})
    return [users[login] for login in logins]


def post_message(document_id: int, author: User, body: str) -> DiscussionMessage:
    """A new message in the thread; its mentions are checked, it is audited."""
    document = get_visible_document(document_id, author)
    text = body.strip()
    if not text:
        message = _("Cần nhập nội dung trao đổi.")
        raise ValidationError("body_required", message, details={"body": message})
    if len(text) > MAX_LENGTH:
        message = _("Nội dung trao đổi dài quá %(n)s ký tự.", n=MAX_LENGTH)
        raise ValidationError("body_too_long", message, details={"body": message})
    named = _people_named(document, mentioned_logins(text))
    posted = DiscussionMessage(
        document_id=document.id,
        author_id=author.id,
        body=text,
        mentioned_ids=[user.id for user in named],
    )
    db.session.add(posted)
    db.session.flush()
    records.audit(
        "document.message_posted",
        author,
        document.id,
        message_id=posted.id,
        mentioned=[user.username for user in named],
    )
    return posted


def messages(document_id: int, reader: User, after: int = 0) -> list[DiscussionMessage]:
    """The thread's messages after id ``after`` (0: from the start), oldest first."""
    get_visible_document(document_id, reader)
    return list(
        db.session.scalars(
            select(DiscussionMessage)
            .where(DiscussionMessage.document_id == document_id, DiscussionMessage.id > after)
            .order_by(DiscussionMessage.id)
            .limit(PAGE)
        )
    )


def get_message(message_id: int) -> DiscussionMessage | None:
    return db.session.get(DiscussionMessage, message_id)


def mentionable(document_id: int, reader: User, query: str = "", limit: int = 20) -> list[User]:
    """Active people who may see the document (whom a mention may name), matching ``query`` in
    their login or name whatever its accents; ``reader`` must see it too."""
    document = get_visible_document(document_id, reader)
    wanted = fold(query.strip().lstrip("@"))
    people = db.session.scalars(
        select(User)
        .where(User.active.is_(True), User.clearance >= document.secrecy)
        .order_by(User.full_name, User.username)
    )
    found = []
    for person in people:
        if wanted and wanted not in fold(person.username) and wanted not in fold(person.full_name):
            continue
        if can_see(person, document):
            found.append(person)
            if len(found) >= limit:
                break
    return found
