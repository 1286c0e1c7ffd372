"""Searching as a user: the clearance goes into the engine's query, results come back as rows.

The UI and ``/api/v1/search`` both call ``search_documents``. When the engine is unreachable,
the search still answers from the database (subject and number only, newest first) and says it
is degraded, so a clerk can still find yesterday's letter while the index is repaired.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.core.paging import one_page
from edoc.core.transactions import outside_transaction
from edoc.documents.access import visible
from edoc.documents.models import Document, DocumentType
from edoc.incoming.models import INCOMING_STATUS_LABELS
from edoc.jobs import outbox
from edoc.outgoing.models import OUTGOING_STATUS_LABELS
from edoc.search.backend import search_backend
from edoc.search.models import TextExtract
from edoc.search.outbox import TOPIC
from edoc.users.models import User
from search import FACET_FIELDS, KEYWORD_FILTERS, NumberSuggestion, SearchQuery, SearchUnavailable

log = logging.getLogger(__name__)

FILTERS = KEYWORD_FILTERS
UI_FACETS = ("direction", "doc_type", "status", "year", "urgency", "unit", "sender", "dossier")


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: tuple[str, ...] = UI_FACETS


@dataclass
class ResultRow:
    document: Document
    highlight: dict[str, str]
    score: float


@dataclass
class SearchPage:
    total: int
    rows: list[ResultRow]
    facets: dict[str, dict[str, int]]
    params: SearchParams
    degraded: bool = False
    total_exact: bool = True
    facets_exact: bool = True

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.params.per_page))


def search_documents(user: User, params: SearchParams) -> SearchPage:
    query = SearchQuery(
        text=params.q,
        max_secrecy=int(user.clearance),
        filters={k: v for k, v in params.filters.items() if k in FILTERS and v},
        date_from=params.date_from,
        date_to=params.date_to,
        sort=params.sort,  # type: ignore[arg-type]
        page=params.page,
        per_page=params.per_page,
        facets=tuple(f for f in params.facets if f in FACET_FIELDS),
    )
    query.validate()
    try:
        with outside_transaction():  # the engine may share SQLite's single writer lock
            result = search_backend().search(query)
    except SearchUnavailable as exc:
        log.warning("search engine unavailable, answering from the database: %s", exc)
        return _database_search(user, params)
    ids = [int(hit.id) for hit in result.hits if hit.id.isdigit()]
    documents = {
        d.id: d
        for d in db.session.scalars(visible(select(Document), user).where(Document.id.in_(ids)))
    }
    rows = [
        ResultRow(documents[int(hit.id)], hit.highlights, hit.score)
        for hit in result.hits
        if hit.id.isdigit() and int(hit.id) in documents
    ]
    return SearchPage(
        total=result.total,
        rows=rows,
        facets=result.facets,
        params=params,
        total_exact=result.total_exact,
        facets_exact=result.facets_exact,
    )


def _database_search(user: User, params: SearchParams) -> SearchPage:
    """The degraded answer: a plain scan of subjects and numbers, newest first."""
    statement = visible(select(Document), user)
    if params.q.strip():
        pattern = f"%{params.q.strip()}%"
        statement = statement.where(
            or_(Document.subject.ilike(pattern), Document.number_notation.ilike(pattern))
        )
    direction = params.filters.get("direction")
    if direction:
        statement = statement.where(Document.direction.in_(direction))
    status = params.filters.get("status")
    if status:
        statement = statement.where(Document.status.in_(status))
    if params.date_from:
        statement = statement.where(Document.issued_date >= params.date_from)
    if params.date_to:
        statement = statement.where(Document.issued_date <= params.date_to)
    total, documents = one_page(statement, params.page, params.per_page, Document.created_at.desc())
    return SearchPage(
        total=total,
        rows=[ResultRow(d, {}, 0.0) for d in documents],
        facets={},
        params=params,
        degraded=True,
    )


def suggest_numbers(user: User, prefix: str, limit: int = 8) -> list[NumberSuggestion]:
    """Search-as-you-type on "số ký hiệu"; empty when the engine is down."""
    if not prefix.strip():
        return []
    clearance = int(user.clearance)  # read before: the block below may not touch the database
    try:
        with outside_transaction():  # the engine may share SQLite's single writer lock
            return search_backend().suggest_numbers(prefix, clearance, limit)
    except SearchUnavailable:
        return []


#: Readable names for the values of facets that areas above search add to the index (the
#: dossiers area: its dossiers' ids), registered by those areas at start-up.
_facet_labellers: dict[str, Callable[[], dict[str, str]]] = {}


def add_facet_labels(facet: str, labeller: Callable[[], dict[str, str]]) -> None:
    _facet_labellers[facet] = labeller


def facet_labels() -> dict[str, dict[str, str]]:
    """Readable names for facet values the index stores as codes or ids."""
    statuses = {str(k.value): str(v) for k, v in INCOMING_STATUS_LABELS.items()}
    statuses |= {str(k.value): str(v) for k, v in OUTGOING_STATUS_LABELS.items()}
    return {
        "direction": {"incoming": _("Văn bản đến"), "outgoing": _("Văn bản đi")},
        "status": statuses,
        "secrecy": {"0": _("Thường"), "1": _("Mật"), "2": _("Tối mật"), "3": _("Tuyệt mật")},
        **{facet: labeller() for facet, labeller in _facet_labellers.items()},
    }


@dataclass(frozen=True)
class OcrCopy:
    """The OCR'd PDF of a document's main file, served like any stored file."""

    filename: str
    sha256: str
    size: int
    pages: int
    content_type: str = "application/pdf"


def ocr_copy(document: Document) -> OcrCopy | None:
    main = document.main_file
    extract = db.session.get(TextExtract, main.sha256) if main is not None else None
    if main is None or extract is None or not extract.ocr_sha256:
        return None
    size = blob_store().stat(extract.ocr_sha256).size
    stem = main.filename.rsplit(".", 1)[0]
    return OcrCopy(f"{stem}-ocr.pdf", extract.ocr_sha256, size, extract.ocr_pages)


def doc_type_names() -> list[str]:
    return list(db.session.scalars(select(DocumentType.name).order_by(DocumentType.name)))


def status_report() -> dict[str, Any]:
    """What an operator and the search page need to know: is the index whole and current?"""
    waiting, oldest, error = outbox.backlog(TOPIC)
    with outside_transaction():  # the engine may share SQLite's single writer lock
        health = search_backend().health()
    return {
        "backend": health.backend,
        "ok": health.ok,
        "documents": health.documents,
        "waiting": waiting,
        "oldest_waiting": oldest,
        "last_error": error,
    }
