"""Write a search outbox row in the same transaction as every change the index must follow.

A flush listener rather than calls sprinkled through the services: a service added next year
cannot forget to tell the index, and the row commits or rolls back with the change itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session, UOWTransaction

from edoc.documents.models import Document, DocumentFile
from edoc.dossiers.models import DossierDocument
from edoc.incoming.models import IncomingDocument, Routing
from edoc.jobs.models import OutboxEntry
from edoc.outgoing.models import OutgoingDocument

TOPIC = "search"
FLAG = "search_outbox_written"
# Rows whose change alters what the index holds about their document.
FOLLOWED = (DocumentFile, IncomingDocument, OutgoingDocument, Routing, DossierDocument)


def _document_ids(session: Session) -> set[int]:
    ids: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Document):
            ids.add(instance.id)
        elif isinstance(instance, FOLLOWED):
            ids.add(instance.document_id)
    ids.discard(None)  # type: ignore[arg-type]
    return ids


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    ids = _document_ids(session)
    if not ids:
        return
    session.connection().execute(
        insert(OutboxEntry.__table__),  # type: ignore[arg-type]
        [{"topic": TOPIC, "document_id": i, "attempts": 0, "last_error": ""} for i in ids],
    )
    session.info[FLAG] = True


def install(session_class: Any) -> None:
    """Listen on the app's session class (idempotent)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)


def take_flag(session: Session) -> bool:
    """Whether this session wrote outbox rows since the last call."""
    return bool(session.info.pop(FLAG, False))
