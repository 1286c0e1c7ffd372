"""Imports every model module so ``Base.metadata`` is complete (Alembic, tests)."""

from edoc.audit.models import AuditEvent, AuditHead
from edoc.core.extensions import Base
from edoc.directory.models import Organization
from edoc.documents.models import (
    Document,
    DocumentFile,
    DocumentType,
    Register,
    RegisterCounter,
)
from edoc.dossiers.models import Dossier, DossierDocument
from edoc.exchange.models import ExchangeMessage, ExchangePeer, ExchangeStatusEvent
from edoc.incoming.models import HandlingNote, HandlingTask, IncomingDocument, Routing
from edoc.jobs.models import Job, OutboxEntry
from edoc.outgoing.models import (
    Dispatch,
    DraftVersion,
    NumberAllocation,
    OutgoingDocument,
    ReviewComment,
    SigningRequest,
)
from edoc.search.models import TextExtract
from edoc.users.models import ApiToken, Unit, User, UserRole, UserSession

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Dispatch",
    "Document",
    "DocumentFile",
    "DocumentType",
    "Dossier",
    "DossierDocument",
    "DraftVersion",
    "ExchangeMessage",
    "ExchangePeer",
    "ExchangeStatusEvent",
    "HandlingNote",
    "HandlingTask",
    "IncomingDocument",
    "Job",
    "NumberAllocation",
    "Organization",
    "OutboxEntry",
    "OutgoingDocument",
    "Register",
    "RegisterCounter",
    "ReviewComment",
    "Routing",
    "SigningRequest",
    "TextExtract",
    "Unit",
    "User",
    "UserRole",
    "UserSession",
    "metadata",
]


def owned_by_migrations(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's ``include_name``: tables the ``search`` library creates for itself (``search_*``,
    FTS5 shadow tables included) are not the migrations' business."""
    return not (type_ == "table" and (name or "").startswith("search_"))
