"""Write a search outbox row in the same transaction as every change the index must follow.

A flush listener rather than calls sprinkled through the services: a service added next year
cannot forget to tell the index, and the row commits or rolls back with the change itself.
Areas above search whose rows change what the index holds (the dossiers: which dossier holds
a document) register their models with :func:`follow`, so search never imports them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from edoc.documents.models import Document, DocumentFile
from edoc.incoming.models import IncomingDocument, Routing
from edoc.jobs import outbox
from edoc.outgoing.models import OutgoingDocument

TOPIC = "search"
FLAG = "search_outbox_written"
# Rows whose change alters what the index holds about their document (each has document_id).
_followed: set[type] = {DocumentFile, IncomingDocument, OutgoingDocument, Routing}


def follow(*models: type) -> None:
    """Also follow these models (each with a ``document_id``)."""
    _followed.update(models)


def _document_ids(session: Session) -> set[int]:
    followed = tuple(_followed)
    ids: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Document):
            ids.add(instance.id)
        elif isinstance(instance, followed):
            ids.add(instance.document_id)
    ids.discard(None)  # type: ignore[arg-type]
    return ids


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    ids = _document_ids(session)
    if not ids:
        return
    outbox.write(session.connection(), TOPIC, sorted(ids))
    session.info[FLAG] = True


def install(session_class: Any) -> None:
    """Listen on the app's session class (idempotent)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)


def take_flag(session: Session) -> bool:
    """Whether this session wrote outbox rows since the last call."""
    return bool(session.info.pop(FLAG, False))
