"""The one way to create what every document shares: its row, its stored files, its registers.

Incoming and outgoing documents (and whatever brings them in: uploads, dispatch between
installations, package import, the demo) are built on these records; each area calls these
functions rather than constructing another area's models, so the rules live in one place.
"""

from __future__ import annotations

from typing import Any

from edoc.audit.services import Actor, record
from edoc.core.extensions import db
from edoc.documents.models import Direction, Document, DocumentFile, Register


def new_document(direction: Direction, status: str, **fields: Any) -> Document:
    """A document row in the session (flushed by the caller's service)."""
    document = Document(direction=direction, status=status, **fields)
    db.session.add(document)
    return document


def add_file(
    document: Document,
    *,
    role: str,
    filename: str,
    content_type: str,
    sha256: str,
    size: int,
    signature_report: dict[str, Any] | None = None,
    active_content: list[str] | None = None,
) -> DocumentFile:
    """A stored blob attached to ``document`` in one of its roles (main, attachment, appendix…)."""
    stored = DocumentFile(
        role=role,
        filename=filename,
        content_type=content_type,
        sha256=sha256,
        size=size,
        signature_report=signature_report,
        active_content=active_content,
    )
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
    """An audit entry about one document (what the history on its page lists)."""
    record(action, actor=actor, object_type="document", object_id=document_id, **details)
