"""What the two database backends (SQLite FTS5, PostgreSQL) share.

Rows are keyed by an *order key* that encodes the sort date (``date.toordinal() << 24 |
sequence``), so the newest matches are an index walk; SqlBackendBase runs the search algorithm
and the shared chores once for both. Why: docs/search.md ("The database backends").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from search.analysis import ANALYSIS_VERSION, ParsedQuery, parse_query
from search.base import (
    FACET_FIELDS,
    KEYWORD_FILTERS,
    Health,
    Hit,
    IndexDocument,
    NumberSuggestion,
    SchemaMismatch,
    SearchError,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
)
from search.highlight import highlight, snippet
from search.ranking import Candidate, Found, rank, rank_text

SEQ_BITS = 24
MAX_SECRECY_LEVEL = 3
# Candidate queries that match word positions: over common words they can cost far more than
# the others, so each backend holds them to a time budget.
PHRASE_KINDS = frozenset({Found.PHRASE, Found.EXACT_PHRASE})
# Newest matches fetched per candidate query before ranking.
CANDIDATES_PER_KIND = 200
# Totals and facets are exact up to this many matches, then a lower bound and the facets of the
# newest COUNT_LIMIT matches (Elasticsearch's track_total_hits idea). At a million documents,
# counting a common word's matches to 10 000 and grouping them was 60–80 % of the query; to
# 1 000 it is a few milliseconds, and "more than 1 000" tells a clerk the same: narrow it.
COUNT_LIMIT = 1_000

# The narrow per-document table (filters, facets) …
DOC_COLUMNS = ("doc_id", *KEYWORD_FILTERS, "secrecy", "issued_date", "arrival_date", "created_at")
# … and the text table beside it, read only for candidates and the page's hits. Keeping the
# text out of the first keeps facet counting (thousands of row look-ups) cache-friendly.
TEXT_COLUMNS = ("number_notation", "subject", "body", "rank_text")
STORED_COLUMNS = DOC_COLUMNS + TEXT_COLUMNS
FACET_COLUMNS = {f: ("sort_year" if f == "year" else f) for f in FACET_FIELDS}


def order_range(
    date_from: dt.date | None, date_to: dt.date | None
) -> tuple[int | None, int | None]:
    """Inclusive order-key bounds for a date range."""
    lo = date_from.toordinal() << SEQ_BITS if date_from else None
    hi = ((date_to.toordinal() + 1) << SEQ_BITS) - 1 if date_to else None
    return lo, hi


def date_clauses(query: SearchQuery, column: str, mark: str) -> tuple[list[str], list[Any]]:
    """SQL conditions holding the order key ``column`` to the query's dates, and their
    parameters (``mark`` is the driver's placeholder)."""
    lo, hi = order_range(query.date_from, query.date_to)
    bounds = [(op, value) for op, value in ((">=", lo), ("<=", hi)) if value is not None]
    return [f"{column} {op} {mark}" for op, _ in bounds], [value for _, value in bounds]


def filter_token(field: str, value: str) -> str:
    """An opaque alphanumeric token for an exact filter value: survives any tokenizer."""
    digest = hashlib.blake2b(f"{field}\x00{value}".encode(), digest_size=8).hexdigest()
    return f"zzf{digest}"


def secrecy_token(level: int) -> str:
    return f"zzsec{level}"


def meta_text(row: dict[str, Any]) -> str:
    """Searchable short fields besides subject and number (type, sender, signer, unit, urgency)."""
    return " ".join(
        str(row[k]) for k in ("doc_type", "sender", "signer", "unit", "urgency") if row.get(k)
    )


def filter_tokens(row: dict[str, Any]) -> list[str]:
    toks = [filter_token(f, str(row[f])) for f in KEYWORD_FILTERS if row.get(f)]
    if row["secrecy"]:
        toks.append(secrecy_token(int(row["secrecy"])))
    return toks


def strip_nul(value: str | None) -> str | None:
    return value.replace("\x00", "") if value else value


def doc_row(doc: IndexDocument) -> dict[str, Any]:
    """The stored columns of a document (dates as ISO strings: the same in every database)."""
    if not doc.id:
        raise SearchError("document id must not be empty", code="invalid_document")
    if not 0 <= int(doc.secrecy) <= MAX_SECRECY_LEVEL:
        raise SearchError(
            f"secrecy must be 0..{MAX_SECRECY_LEVEL}, got {doc.secrecy}", code="invalid_document"
        )
    if "\x00" in str(doc.id):
        raise SearchError("document id must not contain NUL", code="invalid_document")
    row = {
        "doc_id": str(doc.id),
        "direction": doc.direction,
        # NUL (which text extracted from PDFs may hold) cannot be stored in PostgreSQL text
        "number_notation": strip_nul(doc.number_notation),
        "subject": strip_nul(doc.subject) or "",
        "body": strip_nul(doc.body) or "",
        "doc_type": strip_nul(doc.doc_type),
        "sender": strip_nul(doc.sender),
        "signer": strip_nul(doc.signer),
        "unit": strip_nul(doc.unit),
        "urgency": strip_nul(doc.urgency),
        "secrecy": int(doc.secrecy),
        "status": strip_nul(doc.status),
        "dossier": strip_nul(doc.dossier),
        "issued_date": doc.issued_date.isoformat() if doc.issued_date else None,
        "arrival_date": doc.arrival_date.isoformat() if doc.arrival_date else None,
        "created_at": doc.created_at.isoformat() if doc.created_at else None,
        "sort_day": doc.sort_date.toordinal(),
        "sort_year": doc.sort_date.year,
    }
    row["rank_text"] = rank_text(row["subject"], row["number_notation"], meta_text(row))
    return row


def candidate_kinds(parsed: ParsedQuery) -> list[Found]:
    """Which candidate queries are worth running for this query."""
    terms = parsed.terms()
    kinds = [Found.EXACT_PHRASE, Found.HEAD]
    if any(any(ch.isdigit() for ch in t.folded) for t in terms):
        kinds.insert(0, Found.NUMBER)
    if any(t.folded != t.accented for t in terms):
        kinds.append(Found.ACCENTED)
    if len(terms) > 1 and not parsed.is_number:  # a number's words are matched as a set
        kinds.append(Found.PHRASE)
    kinds.append(Found.ANY)
    return kinds


def latest_rows(docs: Iterable[IndexDocument]) -> list[dict[str, Any]]:
    """The stored rows of a batch, the last version of each id winning."""
    latest: dict[str, dict[str, Any]] = {}
    for doc in docs:
        row = doc_row(doc)
        latest[row["doc_id"]] = row
    return list(latest.values())


def assign_orders(conn: Any, table: str, rows: list[dict[str, Any]], dialect: str) -> None:
    """Give each row the next free order key of its day. Every day's last key comes from one
    query (a batch of a thousand documents over a thousand days used to cost a thousand
    round trips, a tenth of indexing time)."""
    days = sorted({row["sort_day"] for row in rows})
    if dialect == "postgresql":
        source, arg = "unnest(%s::bigint[]) AS d(day)", days
    else:
        source, arg = "(SELECT value AS day FROM json_each(?)) AS d", json.dumps(days)
    width = 1 << SEQ_BITS
    last = dict(
        conn.exec_driver_sql(
            f"SELECT d.day, (SELECT max(ord) FROM {table} "
            f"WHERE ord BETWEEN d.day * {width} AND (d.day + 1) * {width} - 1) FROM {source}",
            (arg,),
        ).all()
    )
    next_seq = {
        day: last[day] + 1 if last.get(day) is not None else day << SEQ_BITS for day in days
    }
    for row in rows:
        row["ord"] = next_seq[row["sort_day"]]
        next_seq[row["sort_day"]] += 1


class SqlBackendBase(ABC):
    """Search orchestration over the per-dialect primitives below, and what both database
    backends do alike: connections, the version check, reset, delete, count."""

    name = "sql"
    label = "SQL"  # in error messages
    schema_version: str  # of the tables a subclass creates: a change needs reset + reindex
    count_limit = COUNT_LIMIT
    candidates_per_kind = CANDIDATES_PER_KIND

    def __init__(self, bind: Engine | Connection, *, table_prefix: str = "search") -> None:
        if not table_prefix.isidentifier():
            raise ValueError(f"table_prefix must be an identifier, got {table_prefix!r}")
        self._bind = bind
        self.docs = f"{table_prefix}_docs"
        self.text = f"{table_prefix}_text"
        self.meta = f"{table_prefix}_meta"

    # ---- connections and schema -----------------------------------------------------------
    @contextmanager
    def _conn(self, write: bool = False) -> Iterator[Connection]:
        """A connection of our own (a transaction committed on success when ``write``), or
        the one the caller lent, whose transaction stays the caller's."""
        try:
            if isinstance(self._bind, Engine):
                if write:
                    with self._bind.begin() as conn:
                        yield conn
                else:
                    with self._bind.connect() as conn:
                        yield conn
                        conn.rollback()
            else:
                yield self._bind
        except DBAPIError as exc:
            raise SearchUnavailable(f"{self.label} search failed: {exc.orig}") from exc

    @abstractmethod
    def _create_tables(self, conn: Connection) -> None:
        """Create the backend's tables and indexes if missing."""

    def _tables(self) -> tuple[str, ...]:
        """Every table the backend owns, in the order ``reset`` drops them."""
        return (self.docs, self.text, self.meta)

    def _create(self, conn: Connection) -> None:
        """Check the versions first (tables of another version are reported, not
        half-altered), create what is missing, then record the versions."""
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {self.meta} (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        wanted = {"analysis_version": str(ANALYSIS_VERSION), "schema_version": self.schema_version}
        stored = dict(conn.exec_driver_sql(f"SELECT key, value FROM {self.meta}").all())
        for key, value in wanted.items():
            if key in stored and stored[key] != value:
                raise SchemaMismatch(
                    f"search index {key} is {stored[key]}, this code needs {value}: "
                    "reset and reindex"
                )
        self._create_tables(conn)
        for key, value in wanted.items():
            if key not in stored:
                conn.execute(
                    sa.text(f"INSERT INTO {self.meta} (key, value) VALUES (:key, :value)"),
                    {"key": key, "value": value},
                )

    def ensure_schema(self) -> None:
        with self._conn(write=True) as conn:
            self._create(conn)

    def reset(self) -> None:
        with self._conn(write=True) as conn:
            for table in self._tables():
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            self._create(conn)

    @abstractmethod
    def _remove(self, conn: Connection, doc_ids: Sequence[str]) -> int:
        """Remove the documents with these ids; returns how many existed."""

    def delete(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(str(i) for i in ids))
        if not wanted:
            return 0
        with self._conn(write=True) as conn:
            return self._remove(conn, wanted)

    def count(self) -> int:
        with self._conn() as conn:
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {self.docs}").scalar() or 0)

    def close(self) -> None:  # noqa: B027 - nothing to release, by design
        """The engine belongs to the application: nothing to release."""

    # ---- primitives each dialect provides -------------------------------------------------
    @abstractmethod
    def _match(self, parsed: ParsedQuery, kind: Found, query: SearchQuery, limit: int) -> list[int]:
        """Order keys of the newest ``limit`` visible matches of one candidate query."""

    @abstractmethod
    def _list(self, query: SearchQuery, limit: int) -> list[int]:
        """Order keys of the newest visible documents passing the filters (no text)."""

    @abstractmethod
    def _count_and_groups(
        self, parsed: ParsedQuery, query: SearchQuery, columns: Sequence[str], cap: int
    ) -> tuple[int, list[tuple[Any, ...]], list[int]]:
        """Visible matches counted up to ``cap + 1``; (values of ``columns``…, count)
        grouped over the newest ``cap`` of them (none when no columns are asked): one GROUP
        BY over all wanted columns, summed per facet here; and the order keys of the
        matches counted, newest first, when they were read (empty when only counted)."""

    @abstractmethod
    def _rank_rows(self, orders: Sequence[int]) -> list[tuple[int, str]]:
        """(order, rank_text) of candidates."""

    @abstractmethod
    def _load(self, orders: Sequence[int], with_body: bool) -> list[dict[str, Any]]:
        """``order``, doc_id, number_notation, subject (and body if asked) for order keys."""

    # ---- the algorithm ------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        query.validate()
        parsed = parse_query(query.text)
        offset = (query.page - 1) * query.per_page
        need = offset + query.per_page
        scores: dict[int, float] = {}
        names = list(dict.fromkeys(query.facets))
        total, groups, counted = self._count_and_groups(
            parsed, query, [FACET_COLUMNS[f] for f in names], self.count_limit
        )

        def newest(limit: int) -> list[int]:
            """The newest ``limit`` matches: from the count's read when it holds them."""
            if len(counted) == total and (limit <= total or total <= self.count_limit):
                return counted[:limit]
            if parsed.empty:
                return self._list(query, limit)
            return self._match(parsed, Found.ANY, query, limit)

        if parsed.empty or query.sort == "date":
            page_orders = newest(need)[offset:need]
        else:
            page_orders = self._ranked(parsed, query, offset, need, scores, newest)
        exact = total <= self.count_limit
        total = min(total, self.count_limit) if not exact else total
        rows = {r["order"]: r for r in self._load(page_orders, with_body=True)}
        hits = [self._hit(rows[o], parsed, scores.get(o, 0.0)) for o in page_orders if o in rows]
        facets = self._facets(names, groups) if names else {}
        return SearchResult(
            total=total, hits=hits, facets=facets, total_exact=exact, facets_exact=exact
        )

    def _ranked(
        self,
        parsed: ParsedQuery,
        query: SearchQuery,
        offset: int,
        need: int,
        scores: dict[int, float],
        newest: Callable[[int], list[int]],
    ) -> list[int]:
        found: dict[int, set[Found]] = {}
        for kind in candidate_kinds(parsed):
            limit = self.candidates_per_kind
            orders = newest(limit) if kind == Found.ANY else self._match(parsed, kind, query, limit)
            for order in orders:
                found.setdefault(order, set()).add(kind)
        candidates = [
            Candidate.from_rank_text(order, text, found[order])
            for order, text in self._rank_rows(list(found))
        ]
        ranked = rank(parsed, candidates)
        orders = [c.order for c in ranked]
        scores.update((c.order, c.score) for c in ranked)
        if need > len(orders):
            seen = set(orders)
            tail = newest(need + len(orders))
            orders.extend(o for o in tail if o not in seen)
        return orders[offset:need]

    def _hit(self, row: dict[str, Any], parsed: ParsedQuery, score: float) -> Hit:
        marks: dict[str, str] = {}
        if not parsed.empty:
            for field, value in (
                ("subject", highlight(row["subject"], parsed)),
                ("number_notation", highlight(row["number_notation"], parsed)),
                ("body", snippet(row["body"], parsed)),
            ):
                if value:
                    marks[field] = value
        return Hit(id=row["doc_id"], score=round(score, 4), highlights=marks)

    @staticmethod
    def _facets(names: Sequence[str], groups: list[tuple[Any, ...]]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for i, name in enumerate(names):
            counter: Counter[str] = Counter()
            for group in groups:
                if group[i] is not None:
                    counter[str(group[i])] += int(group[-1])
            out[name] = dict(counter.most_common())
        return out

    # ---- helpers for subclasses ---------------------------------------------------------
    def _suggestions(self, orders: Sequence[int]) -> list[NumberSuggestion]:
        """The number suggestions of these order keys, in their order."""
        rows = {r["order"]: r for r in self._load(orders, with_body=False)}
        return [
            NumberSuggestion(
                id=r["doc_id"], number_notation=r["number_notation"] or "", subject=r["subject"]
            )
            for r in (rows[o] for o in orders if o in rows)
        ]

    def optimize(self) -> None:  # noqa: B027 - a hook with nothing to do by default
        """Compact the index after a bulk load (``edoc reindex`` calls it at the end)."""

    def health(self) -> Health:
        return Health.by_counting(self.name, self.count)
