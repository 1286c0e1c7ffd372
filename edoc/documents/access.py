"""Who may see a document. Every list, file and API path goes through here.

Secrecy is applied inside the query (never by filtering a page afterwards), so counts, paging
and totals never reveal that a secret document exists. An outgoing document not yet issued has
its own, narrower readers (:mod:`edoc.outgoing.access`), applied here the same way, so that
every generic path (``/api/v1/documents``, search, dossiers) keeps drafts to them.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select

from edoc.core.errors import NotFound
from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.outgoing.access import may_read, readable_condition
from edoc.users.models import User


def visible(query: Select, user: User) -> Select:
    return query.where(Document.secrecy <= user.clearance, readable_condition(user))


def can_see(user: User, document: Document) -> bool:
    return document.secrecy <= user.clearance and may_read(user, document)


def get_visible_document(document_id: int, user: User) -> Document:
    """The document, or 404 — the same answer whether it is missing or above the clearance."""
    document = db.session.get(Document, document_id)
    if document is None or not can_see(user, document):
        raise NotFound("document_not_found", _("Không tìm thấy văn bản."))
    return document
