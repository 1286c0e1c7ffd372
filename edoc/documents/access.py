"""Who may see a document. Every list, file and API path goes through here.

Secrecy is applied inside the query (never by filtering a page afterwards), so counts, paging
and totals never reveal that a secret document exists. An area may narrow the readers of its
own documents further (outgoing keeps drafts to their readers): it registers a
:class:`VisibilityRule` for its direction when the app starts, and every generic path
(``/api/v1/documents``, search, dossiers, lists) applies it the same way. Documents sit below
the areas, so the rule is handed down to this module rather than imported from above.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, or_

from edoc.core.errors import NotFound
from edoc.core.extensions import db
from edoc.documents import records
from edoc.documents.models import Direction, Document, DocumentFile
from edoc.users.models import User

EXTENSION = "edoc.visibility_rules"


@dataclass(frozen=True)
class VisibilityRule:
    """Which documents of one direction a cleared user may read (secrecy is checked apart).

    ``may_read`` answers for one document of that direction; ``condition`` is the same rule in
    SQL, for queries on ``Document``. Both must agree.
    """

    may_read: Callable[[User, Document], bool]
    condition: Callable[[User], ColumnElement[bool]]


def register_visibility_rule(app: Flask, direction: Direction, rule: VisibilityRule) -> None:
    """Narrow the readers of ``direction``'s documents in ``app`` (one rule per direction)."""
    app.extensions.setdefault(EXTENSION, {})[Direction(direction)] = rule


def _rules() -> dict[Direction, VisibilityRule]:
    return current_app.extensions.get(EXTENSION, {})


def visible(query: Select, user: User) -> Select:
    narrowed = [
        or_(Document.direction != direction, rule.condition(user))
        for direction, rule in _rules().items()
    ]
    return query.where(Document.secrecy <= user.clearance, *narrowed)


def can_see(user: User, document: Document) -> bool:
    if document.secrecy > user.clearance:
        return False
    rule = _rules().get(Direction(document.direction))
    return rule is None or rule.may_read(user, document)


def get_visible_document(document_id: int, user: User) -> Document:
    """The document, or 404 — the same answer whether it is missing or above the clearance."""
    document = db.session.get(Document, document_id)
    if document is None or not can_see(user, document):
        raise NotFound("document_not_found", _("Không tìm thấy văn bản."))
    return document


def document_file_for(user: User, document_id: int) -> DocumentFile:
    """The main file of a document ``user`` may see; the download is recorded in the audit."""
    document = get_visible_document(document_id, user)
    main = document.main_file
    if main is None:
        raise NotFound("file_not_found", _("Văn bản chưa có tệp."))
    records.audit("document.file_downloaded", user, document_id, sha256=main.sha256)
    return main
