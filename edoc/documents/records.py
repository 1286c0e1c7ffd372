"""The one way to create what every document shares: its row, its stored files, its registers.

Incoming and outgoing documents (and whatever brings them in: uploads, dispatch between
installations, package import, the demo) are built on these records; each area calls these
functions rather than constructing another area's models, so the rules live in one place.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.audit.services import Actor, Entry, record_many
from edoc.core.errors import Conflict
from edoc.core.extensions import db
from edoc.core.signals import document_event
from edoc.documents.files import CheckedFile
from edoc.documents.models import Direction, Document, DocumentFile, Register


def new_document(direction: Direction, status: str, **fields: Any) -> Document:
    """A document row in the session (flushed by the caller's service)."""
    document = Document(direction=direction, status=status, **fields)
    db.session.add(document)
    return document


def add_file(document: Document, role: str, checked: CheckedFile) -> DocumentFile:
    """A stored blob attached to ``document`` in one of its roles (main, attachment, appendix…)."""
    stored = checked.as_document_file(role)
    document.files.append(stored)
    return stored


def new_register(
    direction: Direction, code: str, name: str, *, doc_type_code: str | None = None
) -> Register:
    """A register (sổ) of one direction; numbers are drawn from it by ``documents.numbering``."""
    register = Register(direction=direction, code=code, name=name, doc_type_code=doc_type_code)
    db.session.add(register)
    return register


def audit(action: str, actor: Actor, document_id: int, **details: Any) -> None:
    """An audit entry about one document (what the history on its page lists), announced to
    the areas that follow documents (:data:`edoc.core.signals.document_event`)."""
    audit_many([(action, document_id, details)], actor)


def audit_many(entries: list[tuple[str, int, dict[str, Any]]], actor: Actor) -> None:
    """Several entries about documents (``(action, document_id, details)``, in order), written
    as one append to the chain (:func:`edoc.audit.services.record_many`: a bulk import audits
    every row without taking the chain's head once a row), each announced as :func:`audit`
    announces one."""
    record_many(
        [
            Entry(action, "document", document_id, details)
            for action, document_id, details in entries
        ],
        actor=actor,
    )
    for action, document_id, details in entries:
        document_event.send(action, actor=actor, document_id=document_id, details=details)


#: What a correction may change: the particulars a register row describes.
CORRECTABLE = frozenset(
    {"subject", "issuer_org", "signer_name", "issued_date", "urgency", "number_notation"}
)


def correct(document: Document, actor: Actor, reason: str, **changes: Any) -> dict[str, Any]:
    """Correct a document's particulars (a re-imported register row that changed), audited
    with the values before and after. Returns what changed; flushes."""
    unknown = set(changes) - CORRECTABLE
    if unknown:
        raise ValueError(f"not correctable: {sorted(unknown)}")
    changed = {
        name: {"before": _plain(getattr(document, name)), "after": _plain(value)}
        for name, value in changes.items()
        if getattr(document, name) != value
    }
    for name in changed:
        setattr(document, name, changes[name])
    if changed:
        db.session.flush()
        audit("document.corrected", actor, document.id, reason=reason, changes=changed)
    return changed


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def history(document_id: int) -> list[AuditEvent]:
    """The audit entries about one document, oldest first (its page's "history")."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "document", AuditEvent.object_id == str(document_id))
            .order_by(AuditEvent.seq)
        )
    )


class Labelled(Protocol):
    @property
    def label(self) -> str: ...


class HasStatus(Protocol):
    @property
    def status(self) -> Labelled: ...


def require_status(item: HasStatus, *allowed: object) -> None:
    """Refuse (409) an action the record's current status does not allow."""
    if item.status not in allowed:
        raise Conflict(
            "invalid_state",
            _(
                'Không thực hiện được khi văn bản đang ở trạng thái "%(s)s".',
                s=item.status.label,
            ),
        )
