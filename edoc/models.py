"""Imports every model module so ``Base.metadata`` is complete (Alembic, tests)."""

from edoc.audit.models import AuditEvent, AuditHead
from edoc.documents.models import (
    Document,
    DocumentFile,
    DocumentType,
    Register,
    RegisterCounter,
)
from edoc.extensions import Base
from edoc.incoming.models import HandlingNote, HandlingTask, IncomingDocument, Routing
from edoc.jobs.models import Job, OutboxEntry
from edoc.users.models import ApiToken, Unit, User, UserRole

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Document",
    "DocumentFile",
    "DocumentType",
    "HandlingNote",
    "HandlingTask",
    "IncomingDocument",
    "Job",
    "OutboxEntry",
    "Register",
    "RegisterCounter",
    "Routing",
    "Unit",
    "User",
    "UserRole",
    "metadata",
]
