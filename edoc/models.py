"""Imports every model module so ``Base.metadata`` is complete (Alembic, tests)."""

from edoc.audit.models import AuditEvent, AuditHead
from edoc.core.extensions import Base
from edoc.directory.models import Organization
from edoc.discussion.models import DiscussionMessage
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
from edoc.integrations.models import InboundDocument, WebhookDelivery, WebhookSubscription
from edoc.jobs.models import Job, OutboxEntry
from edoc.legacy.models import LegacyRow
from edoc.notifications.models import Notification, NotificationPreference, OutgoingEmail
from edoc.outgoing.models import (
    Dispatch,
    DraftVersion,
    NumberAllocation,
    OutgoingDocument,
    ReviewComment,
    SigningRequest,
)
from edoc.remote_signing.models import RemoteActivation, RemoteCredential
from edoc.search.models import TextExtract
from edoc.users.models import ApiToken, Unit, User, UserRole, UserSession

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "DiscussionMessage",
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
    "InboundDocument",
    "IncomingDocument",
    "Job",
    "LegacyRow",
    "Notification",
    "NotificationPreference",
    "NumberAllocation",
    "Organization",
    "OutboxEntry",
    "OutgoingDocument",
    "OutgoingEmail",
    "Register",
    "RegisterCounter",
    "RemoteActivation",
    "RemoteCredential",
    "ReviewComment",
    "Routing",
    "SigningRequest",
    "TextExtract",
    "Unit",
    "User",
    "UserRole",
    "UserSession",
    "WebhookDelivery",
    "WebhookSubscription",
    "metadata",
]


def owned_by_migrations(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's ``include_name``: tables the ``search`` library creates for itself (``search_*``,
    FTS5 shadow tables included) are not the migrations' business."""
    return not (type_ == "table" and (name or "").startswith("search_"))
