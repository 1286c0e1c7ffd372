"""Searching as a user: the clearance goes into the engine's query, results come back as rows.

The UI and ``/api/v1/search`` both call ``search_documents``. When the engine is unreachable,
the search still answers from the database (subject and number only, newest first) and says it
is degraded, so a clerk can still find yesterday's letter while the index is repaired.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Engine, create_engine, event, func, or_, select

from edoc.core.extensions import db
from edoc.documents.access import visible
from edoc.documents.models import Document, DocumentType
from edoc.users.models import User
from search import (
    FACET_FIELDS,
    KEYWORD_FILTERS,
    NumberSuggestion,
    SearchBackend,
    SearchQuery,
    SearchUnavailable,
    open_backend,
)
from search.base import MAX_PAGE, MAX_PER_PAGE, SchemaMismatch

log = logging.getLogger(__name__)

FILTERS = KEYWORD_FILTERS
UI_FACETS = ("direction", "doc_type", "status", "year", "urgency", "unit", "sender", "dossier")


def search_backend(*, check_schema: bool = True) -> SearchBackend:
    """The app's backend, opened once; its schema is made sure of once the engine answers.

    An index built by another version of edoc (SchemaMismatch) is treated as an outage:
    search answers from the database and changes wait in the outbox until ``edoc db
    upgrade`` (or ``edoc reindex``) rebuilds it. ``check_schema=False`` is for the rebuild.
    """
    backend = current_app.extensions.get("edoc.search")
    if backend is None:
        url = current_app.config["EDOC"].search_url
        backend = open_backend(url, engine=_search_engine()) if url == "db" else open_backend(url)
        current_app.extensions["edoc.search"] = backend
    if check_schema and not current_app.extensions.get("edoc.search.schema"):
        try:
            backend.ensure_schema()
        except SearchUnavailable as exc:  # every later call reports the outage itself
            log.warning("search engine unavailable, schema not checked: %s", exc)
        except SchemaMismatch as exc:
            log.error("search index needs a rebuild (edoc db upgrade or edoc reindex): %s", exc)
            raise SearchUnavailable(str(exc)) from exc
        else:
            current_app.extensions["edoc.search.schema"] = True
    return backend


def _search_engine() -> Engine:
    """The app's engine; on SQLite, a second one whose reads take no lock.

    The app's SQLite engine begins every transaction IMMEDIATE (gapless numbering needs it),
    which would make every search wait behind every write. In WAL mode a plain reader never
    waits, and the index's own writes still queue behind the busy timeout.
    """
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return engine
    reader = create_engine(engine.url)

    @event.listens_for(reader, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return reader


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


def parse_params(args: Any, *, per_page: int = 20) -> SearchParams:
    """Read a query string (``MultiDict``): filters repeat (``doc_type=A&doc_type=B``), dates
    are dd/mm/yyyy or ISO. A wrong value is the caller's mistake and gets a precise 422."""
    from edoc.core.clock import parse_user_date
    from edoc.core.errors import AppError

    dates: dict[str, date | None] = {}
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        dates[name] = parse_user_date(raw)
        if raw and dates[name] is None:
            raise AppError(
                "invalid_date", _("Ngày không hợp lệ (dd/mm/yyyy): %(value)s", value=raw), 422
            )
    sort = args.get("sort") or "relevance"
    if sort not in ("relevance", "date"):
        raise AppError("invalid_sort", _("Cách sắp xếp không hợp lệ: %(value)s", value=sort), 422)
    numbers: dict[str, int] = {}
    for name, default, top in (("page", 1, MAX_PAGE), ("per_page", per_page, MAX_PER_PAGE)):
        raw = args.get(name) or str(default)
        if not raw.isdigit() or not 1 <= int(raw) <= top:
            raise AppError(
                "invalid_paging",
                _("%(name)s phải là số từ 1 đến %(top)s.", name=name, top=top),
                422,
            )
        numbers[name] = int(raw)
    return SearchParams(
        q=(args.get("q") or "")[:500],
        filters={k: [v for v in args.getlist(k) if v] for k in FILTERS if args.getlist(k)},
        date_from=dates["from"],
        date_to=dates["to"],
        sort=sort,
        page=numbers["page"],
        per_page=numbers["per_page"],
    )


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
    db.session.commit()  # the engine may share SQLite's single writer lock: hold nothing
    try:
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
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    documents = db.session.scalars(
        statement.order_by(Document.created_at.desc())
        .offset((params.page - 1) * params.per_page)
        .limit(params.per_page)
    ).all()
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
    clearance = int(user.clearance)
    db.session.commit()  # before the engine call: no attribute may be reloaded after this
    try:
        return search_backend().suggest_numbers(prefix, clearance, limit)
    except SearchUnavailable:
        return []


def facet_labels() -> dict[str, dict[str, str]]:
    """Readable names for facet values the index stores as codes or ids."""
    from edoc.dossiers.models import Dossier
    from edoc.incoming.models import INCOMING_STATUS_LABELS
    from edoc.outgoing.models import OUTGOING_STATUS_LABELS

    statuses = {str(k.value): str(v) for k, v in INCOMING_STATUS_LABELS.items()}
    statuses |= {str(k.value): str(v) for k, v in OUTGOING_STATUS_LABELS.items()}
    dossiers = {
        str(i): f"{code} – {title}"
        for i, code, title in db.session.execute(select(Dossier.id, Dossier.code, Dossier.title))
    }
    return {
        "direction": {"incoming": _("Văn bản đến"), "outgoing": _("Văn bản đi")},
        "status": statuses,
        "dossier": dossiers,
        "secrecy": {"0": _("Thường"), "1": _("Mật"), "2": _("Tối mật"), "3": _("Tuyệt mật")},
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
    from edoc.search.models import TextExtract

    main = document.main_file
    extract = db.session.get(TextExtract, main.sha256) if main is not None else None
    if main is None or extract is None or not extract.ocr_sha256:
        return None
    from edoc.blobs.service import blob_store

    size = blob_store().stat(extract.ocr_sha256).size
    stem = main.filename.rsplit(".", 1)[0]
    return OcrCopy(f"{stem}-ocr.pdf", extract.ocr_sha256, size, extract.ocr_pages)


def doc_type_names() -> list[str]:
    return list(db.session.scalars(select(DocumentType.name).order_by(DocumentType.name)))


def status_report() -> dict[str, Any]:
    """What an operator and the search page need to know: is the index whole and current?"""
    from edoc.search.indexing import backlog

    waiting, oldest, error = backlog()
    db.session.commit()
    health = search_backend().health()
    return {
        "backend": health.backend,
        "ok": health.ok,
        "documents": health.documents,
        "waiting": waiting,
        "oldest_waiting": oldest,
        "last_error": error,
    }
