"""Who may see an outgoing document before it is issued (a draft, in the broad sense).

A text that is not issued yet is not the agency's word: it is shown on a need-to-know basis,
and only issuing makes it visible to everyone cleared for its secrecy. Until then its readers
are:

- its drafter;
- the reviewers of the drafting unit: users of the drafter's own unit (``unit_id`` equal, not
  sub-units nor parents) holding the specialist or the leader role. ND30 (art. 10–12) has the
  drafting unit (đơn vị chủ trì soạn thảo) prepare and check its text: its head answers for it
  and colleagues give their comments before it goes up for signature. The unit's other roles
  (clerk, archivist, admin) have no part in that review;
- the leader chosen to sign it (``signer_id``, as soon as it is chosen);
- clerks, once it is signed and waits for its number and issue.

Everyone else gets the same 404 as for a document that does not exist, so a draft's existence
is not revealed. Secrecy clearance applies on top (see :mod:`edoc.documents.access`, to which
:func:`init_draft_readers` hands this rule when the app starts).
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import aliased

from edoc.core.extensions import db
from edoc.documents.access import VisibilityRule, register_visibility_rule
from edoc.documents.models import Direction, Document
from edoc.outgoing.models import OutgoingDocument, OutgoingStatus
from edoc.users.models import Role, User

UNISSUED = (OutgoingStatus.DRAFT, OutgoingStatus.SUBMITTED, OutgoingStatus.SIGNED)
REVIEWER_ROLES = (Role.SPECIALIST, Role.LEADER)


def is_unissued(document: Document) -> bool:
    return document.direction == Direction.OUTGOING and document.status in UNISSUED


def unissued_condition() -> ColumnElement[bool]:
    """SQL for :func:`is_unissued`."""
    return and_(Document.direction == Direction.OUTGOING, Document.status.in_(UNISSUED))


def _reviews_drafts_of_unit(user: User) -> bool:
    return user.unit_id is not None and user.has_role(*REVIEWER_ROLES)


def may_read_draft(user: User, outgoing: OutgoingDocument) -> bool:
    """Whether ``user`` is one of the readers of this outgoing document (secrecy aside)."""
    if not is_unissued(outgoing.document):
        return True
    if user.id in (outgoing.drafter_id, outgoing.signer_id):
        return True
    if outgoing.status == OutgoingStatus.SIGNED and user.has_role(Role.CLERK):
        return True
    return _reviews_drafts_of_unit(user) and outgoing.drafter.unit_id == user.unit_id


def may_read(user: User, document: Document) -> bool:
    """:func:`may_read_draft` for any document (incoming and issued ones always pass)."""
    if not is_unissued(document):
        return True
    outgoing = db.session.get(OutgoingDocument, document.id)
    return outgoing is not None and may_read_draft(user, outgoing)


def readable_condition(user: User) -> ColumnElement[bool]:
    """The SQL form of :func:`may_read`, for queries on ``Document``: lists, counts, search.

    The subqueries use aliases so that they never correlate with an outer query that joins
    ``outgoing_documents`` or ``users`` itself.
    """
    draft = aliased(OutgoingDocument)
    readers = [draft.drafter_id == user.id, draft.signer_id == user.id]
    if _reviews_drafts_of_unit(user):
        colleague = aliased(User)
        readers.append(
            draft.drafter_id.in_(select(colleague.id).where(colleague.unit_id == user.unit_id))
        )
    shown = [
        Document.direction != Direction.OUTGOING,
        Document.status.not_in(UNISSUED),
        Document.id.in_(select(draft.document_id).where(or_(*readers))),
    ]
    if user.has_role(Role.CLERK):
        shown.append(Document.status == OutgoingStatus.SIGNED)
    return or_(*shown)


def init_draft_readers(app: Flask) -> None:
    """Keep drafts to their readers on every generic path (lists, search, dossiers, the API)."""
    register_visibility_rule(app, Direction.OUTGOING, VisibilityRule(may_read, readable_condition))
