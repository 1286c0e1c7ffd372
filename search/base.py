"""The search contract: plain data in, plain data out, one Protocol every backend satisfies.

The application owns its documents; it hands the library flat ``IndexDocument`` values and gets
back ids, snippets and counts. Nothing here knows about SQLAlchemy models, Flask or users — that
is what lets the same contract suite run unchanged against SQLite, PostgreSQL and Elasticsearch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Direction = Literal["incoming", "outgoing"]
SortOrder = Literal["relevance", "date"]

# Secrecy levels (độ mật, ND30): compare as ints, higher is more secret.
SECRECY_NONE = 0
SECRECY_MAT = 1  # Mật
SECRECY_TOI_MAT = 2  # Tối mật
SECRECY_TUYET_MAT = 3  # Tuyệt mật

# Fields a query may filter on by exact value, and those it may ask facet counts for.
KEYWORD_FILTERS = (
    "direction",
    "doc_type",
    "sender",
    "signer",
    "unit",
    "urgency",
    "status",
    "dossier",
)
FACET_FIELDS = (*KEYWORD_FILTERS, "secrecy", "year")

MAX_PER_PAGE = 100
MAX_PAGE = 500  # deep paging is a crawler, not a clerk: it costs every backend dearly


class SearchError(Exception):
    """A search failure with a stable machine-readable ``code`` the app can map to HTTP."""

    code = "search_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class SearchUnavailable(SearchError):
    """The engine cannot be reached or answered with a server error: retry later (HTTP 503)."""

    code = "search_unavailable"


class InvalidQuery(SearchError):
    """A query value the caller built wrongly (bad page, unknown facet): a programming error.

    Never raised for what a user typed into the text box: that is always parsed.
    """

    code = "invalid_query"


class SchemaMismatch(SearchError):
    """The index was built by another analysis/schema version: run ``reset`` and reindex."""

    code = "search_schema_mismatch"


class UnsupportedBackend(SearchError):
    """The URL names no backend this library has."""

    code = "search_unsupported_backend"


@dataclass(frozen=True)
class IndexDocument:
    """One document as the index sees it: flat values, no ORM objects.

    ``id`` is the application's key, unique across directions (e.g. ``"in:42"``/``"out:7"``).
    ``secrecy`` is an int level (0 none … 3 Tuyệt mật); searches pass the user's clearance.
    ``sort_date`` is the date shown and sorted on: issued, else arrival, else created.
    """

    id: str
    direction: Direction
    subject: str
    number_notation: str | None = None
    body: str = ""
    doc_type: str | None = None
    sender: str | None = None
    signer: str | None = None
    unit: str | None = None
    urgency: str | None = None
    secrecy: int = SECRECY_NONE
    status: str | None = None
    dossier: str | None = None
    issued_date: dt.date | None = None
    arrival_date: dt.date | None = None
    created_at: dt.datetime | None = None

    @property
    def sort_date(self) -> dt.date:
        if self.issued_date is not None:
            return self.issued_date
        if self.arrival_date is not None:
            return self.arrival_date
        if self.created_at is not None:
            return self.created_at.date()
        return dt.date(1970, 1, 1)


@dataclass(frozen=True)
class SearchQuery:
    """What to look for. ``max_secrecy`` is mandatory: it is enforced inside the engine query.

    ``filters`` maps a KEYWORD_FILTERS field to one value or several (any of them matches).
    Dates are inclusive ranges on ``sort_date``. An empty ``text`` lists by date.
    """

    text: str = ""
    max_secrecy: int = SECRECY_NONE
    filters: dict[str, str | Sequence[str]] = field(default_factory=dict)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: SortOrder = "relevance"
    page: int = 1
    per_page: int = 20
    facets: tuple[str, ...] = ()

    def validate(self) -> None:
        """Reject values no UI should produce (the text itself is never rejected)."""
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise InvalidQuery(f"per_page must be 1..{MAX_PER_PAGE}, got {self.per_page}")
        if not 1 <= self.page <= MAX_PAGE:
            raise InvalidQuery(f"page must be 1..{MAX_PAGE}, got {self.page}")
        if self.sort not in ("relevance", "date"):
            raise InvalidQuery(f"sort must be relevance or date, got {self.sort!r}")
        for name in self.filters:
            if name not in KEYWORD_FILTERS:
                raise InvalidQuery(f"unknown filter {name!r}; known: {', '.join(KEYWORD_FILTERS)}")
        for name in self.facets:
            if name not in FACET_FIELDS:
                raise InvalidQuery(f"unknown facet {name!r}; known: {', '.join(FACET_FIELDS)}")

    def filter_values(self) -> dict[str, list[str]]:
        """Filters as name → non-empty list of values (a bare string is one value).

        NUL is removed, as from indexed documents: no database stores it in text."""
        out: dict[str, list[str]] = {}
        for name, value in self.filters.items():
            values = [value] if isinstance(value, str) else list(value)
            values = [str(v).replace("\x00", "") for v in values]
            if values:
                out[name] = values
        return out


@dataclass(frozen=True)
class Hit:
    """One result: the app loads the document by ``id``; snippets are HTML-escaped text in
    which matched words are wrapped in ``<mark>``…``</mark>``."""

    id: str
    score: float
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResult:
    """``total`` and ``facets`` count only documents the caller's clearance may see.

    When ``total_exact`` is false, ``total`` is a lower bound ("more than 1 000"). When
    ``facets_exact`` is false, facets were counted on the newest ``total`` matches only (the
    database backends do so past their bound; Elasticsearch counts every match).
    """

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    total_exact: bool = True
    facets_exact: bool = True


@dataclass(frozen=True)
class NumberSuggestion:
    id: str
    number_notation: str
    subject: str


@dataclass(frozen=True)
class Health:
    ok: bool
    backend: str
    documents: int | None = None
    detail: str = ""

    @classmethod
    def by_counting(cls, backend: str, count: Callable[[], int]) -> Health:
        """Healthy when the index can count its documents (a read that touches it all the
        way down). Never raises: a health check reports what failed."""
        try:
            documents = count()
        except Exception as exc:  # health never raises: it reports
            return cls(ok=False, backend=backend, detail=f"{type(exc).__name__}: {exc}")
        return cls(ok=True, backend=backend, documents=documents)


@runtime_checkable
class SearchBackend(Protocol):
    """What the application calls. Every method is safe to retry.

    ``index`` upserts (same id replaces); ``delete`` ignores unknown ids; neither commits the
    caller's transaction unless the backend was built on an engine (then it uses its own).
    """

    name: str

    def ensure_schema(self) -> None:
        """Create tables/indexes/templates if missing; cheap when they exist."""

    def reset(self) -> None:
        """Drop and recreate the index empty (before a full reindex)."""

    def index(self, docs: Iterable[IndexDocument]) -> int:
        """Add or replace documents; returns how many were written."""

    def delete(self, ids: Iterable[str]) -> int:
        """Remove documents by id; returns how many existed."""

    def search(self, query: SearchQuery) -> SearchResult:
        """Run a query; user text never raises, bad paging/facet names raise InvalidQuery."""

    def suggest_numbers(
        self, prefix: str, max_secrecy: int, limit: int = 10
    ) -> list[NumberSuggestion]:
        """Search-as-you-type on document numbers, secrecy enforced."""

    def count(self) -> int:
        """Number of indexed documents (all secrecy levels: an operator figure)."""

    def health(self) -> Health:
        """Never raises: reports whether the engine answers."""

    def close(self) -> None:
        """Release connections the backend opened itself."""
