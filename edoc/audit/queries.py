"""What of the audit log a user may read.

An entry about a document (``object_type == "document"``) is shown in full only to someone who
may see that document, by the same rules as every document list (:func:`edoc.documents.access.
visible`). Anyone else (an admin without clearance) still sees that something was done, by
whom and when, but not which document or what was written (direction text, deadlines,
progress notes, file hashes): those entries are redacted to "một văn bản mật". Why redact
rather than drop: the rows stay countable, so the log shows no gaps to explain, and an admin
can still notice unusual activity without learning its content. A filter on a document's id
never matches a redacted entry, so the filters cannot be used to probe for a secret document.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, and_, case, cast, exists, func, select

from edoc.audit.models import AuditEvent
from edoc.core.auth import Person
from edoc.core.extensions import db
from edoc.documents.access import visible
from edoc.documents.models import Document


def hidden_from(user: Person) -> ColumnElement[bool]:
    """True for the entries about a document ``user`` may not see (or one that is gone)."""
    document_id = case(
        (AuditEvent.object_type == "document", cast(AuditEvent.object_id, BigInteger)),
        else_=None,
    )
    seen = exists(visible(select(Document.id), user).where(Document.id == document_id))
    return and_(AuditEvent.object_type == "document", ~seen)


def events_for(user: Person, object_id: str = "") -> Select[Any]:
    """``(AuditEvent, hidden)`` rows; filter further on AuditEvent columns."""
    hidden = hidden_from(user)
    query = select(AuditEvent, hidden.label("hidden"))
    if object_id:
        query = query.where(AuditEvent.object_id == object_id, ~hidden)
    return query


def count_events(actions: Iterable[str], since: datetime) -> int:
    """How many entries with one of ``actions`` were written since ``since`` (naive UTC)."""
    query = select(func.count()).where(AuditEvent.action.in_(list(actions)), AuditEvent.at >= since)
    return db.session.scalar(query) or 0
