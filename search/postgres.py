"""PostgreSQL full-text backend: tsvector/GIN in the application's own database.

Why no text-search configuration or ``unaccent``: the extension may not be installable, and
no built-in configuration folds Vietnamese (đ above all). search.analysis produces the
lexemes and this module writes the tsvector literally, so PostgreSQL only stores and
intersects them. One tsvector per document holds, at the same positions, the folded lexeme
of every word and its accented lexeme when different — so ``'con' <-> 'bão'`` phrases work
in either form — with weights marking the field: A number, B subject, C type/sender/signer/
unit, D body. Filters and the clearance are ordinary columns in the same WHERE.

Tables (prefix configurable), in the connection's current schema: ``search_docs`` (order key,
filters, tsvector; GIN), ``search_text`` (text for highlights and ranking), ``search_meta``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from search.analysis import ANALYSIS_VERSION, ParsedQuery, Phrase, Term, analyse, number_tokens
from search.base import (
    IndexDocument,
    NumberSuggestion,
    SchemaMismatch,
    SearchQuery,
    SearchUnavailable,
)
from search.ranking import (
    FOUND_ACCENTED,
    FOUND_ANY,
    FOUND_EXACT_PHRASE,
    FOUND_HEAD,
    FOUND_NUMBER,
    FOUND_PHRASE,
)
from search.sqlcommon import (
    DOC_COLUMNS,
    TEXT_COLUMNS,
    SqlBackendBase,
    assign_orders,
    latest_rows,
    meta_text,
    order_range,
)

SCHEMA_VERSION = "2"
# Candidate kinds that only look at the number, subject and type/sender/signer/unit.
HEAD_KINDS = frozenset({FOUND_NUMBER, FOUND_EXACT_PHRASE, FOUND_HEAD})
MAX_POSITION = 16383  # PostgreSQL clamps larger positions to this
_CHUNK = 500
# Facets over the newest matches look in the newest FACET_WINDOW documents first, then in a
# window FACET_WINDOW_GROWTH times larger, and so on.
FACET_WINDOW = 40_000
FACET_WINDOW_GROWTH = 8


# "12B"-style position labels, made once: formatting them per word was most of indexing time.
_LABELS = {w: [f"{p}{w}" for p in range(MAX_POSITION + 1)] for w in "ABCD"}
_ENTRY = "'{}':{}".format


def _entries(out: list[str], weight: str, pos: int, folded: list[str], accented: list[str]) -> int:
    """Append one ``'lexeme':posW`` entry per word (and per accented form that differs) and
    return the next free position. Repeated lexemes are left for PostgreSQL's tsvector input
    to merge: it sorts and unites their positions, keeps at most 256 and clamps positions
    past 16383, in C, which is several times faster than grouping them here."""
    labels = _LABELS[weight][pos : pos + len(folded)]
    if len(labels) < len(folded):
        labels += [_LABELS[weight][MAX_POSITION]] * (len(folded) - len(labels))
    out.extend(map(_ENTRY, folded, labels))
    out.extend(
        _ENTRY(a, label) for f, a, label in zip(folded, accented, labels, strict=True) if a != f
    )
    return pos + len(folded) + 1  # a gap: a phrase never spans two fields


def tsvector_literals(row: dict[str, Any]) -> tuple[str, str]:
    """The document's tsvector, and its head (number, subject, type/sender/signer/unit at the
    same positions and weights, no body), in PostgreSQL's input syntax (lexemes are
    alphanumeric)."""
    entries: list[str] = []
    num = number_tokens(row["number_notation"])
    pos = _entries(entries, "A", 1, num, num)
    pos = _entries(entries, "B", pos, *analyse(row["subject"]))
    pos = _entries(entries, "C", pos, *analyse(meta_text(row)))
    head = " ".join(entries)
    body = []
    _entries(body, "D", pos, *analyse(row["body"]))
    return (f"{head} {' '.join(body)}" if body else head), head


def number_tsvector_literal(notation: str | None) -> str:
    return " ".join(f"'{t}'" for t in dict.fromkeys(number_tokens(notation)))


def _lex(token: str, weights: str = "") -> str:
    return f"'{token}'" + (f":{weights}" if weights else "")


def _phrase(tokens: Sequence[str], weights: str = "") -> str:
    if len(tokens) == 1:
        return _lex(tokens[0], weights)
    return "(" + " <-> ".join(_lex(t, weights) for t in tokens) + ")"


def _clause_terms(clause: Term | Phrase) -> tuple[Term, ...]:
    return clause.terms if isinstance(clause, Phrase) else (clause,)


def tsquery_text(parsed: ParsedQuery, kind: str) -> str:
    """The tsquery of one candidate query (kinds as in search.ranking)."""
    if kind == FOUND_NUMBER:
        return " & ".join(_lex(t.folded, "A") for t in parsed.terms())
    if kind == FOUND_EXACT_PHRASE:
        terms = parsed.terms()
        if any(t.folded != t.accented for t in terms):
            return _phrase([t.accented for t in terms], "BC")
        return _phrase([t.folded for t in terms], "BC")
    if kind == FOUND_PHRASE:
        return _phrase([t.folded for t in parsed.terms()])
    if kind == FOUND_ACCENTED:
        return " & ".join(_phrase([t.accented for t in _clause_terms(c)]) for c in parsed.clauses)
    weights = "ABC" if kind == FOUND_HEAD else ""
    return " & ".join(
        _phrase([t.folded for t in _clause_terms(c)], weights) for c in parsed.clauses
    )


PHRASE_BUDGET_MS = 120


class PostgresBackend(SqlBackendBase):
    """Search in PostgreSQL over the application's engine (or one connection it lends)."""

    name = "postgresql"

    def __init__(self, bind: Engine | Connection, *, table_prefix: str = "search") -> None:
        if not table_prefix.isidentifier():
            raise ValueError(f"table_prefix must be an identifier, got {table_prefix!r}")
        self._bind = bind
        self.docs = f"{table_prefix}_docs"
        self.text = f"{table_prefix}_text"
        self.meta = f"{table_prefix}_meta"

    @contextmanager
    def _conn(self, write: bool = False) -> Iterator[Connection]:
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
            raise SearchUnavailable(f"PostgreSQL search failed: {exc.orig}") from exc

    # ---- schema ---------------------------------------------------------------------------
    def _create(self, conn: Connection) -> None:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('edoc-search-schema'))")
        # Versions first: tables of another schema version must be reported, not half-altered.
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {self.meta} (key text PRIMARY KEY, value text NOT NULL)"
        )
        wanted = {"analysis_version": str(ANALYSIS_VERSION), "schema_version": SCHEMA_VERSION}
        stored = dict(conn.exec_driver_sql(f"SELECT key, value FROM {self.meta}").all())
        for key, value in wanted.items():
            if key in stored and stored[key] != value:
                raise SchemaMismatch(
                    f"search index {key} is {stored[key]}, this code needs {value}: "
                    "reset and reindex"
                )
        columns = ", ".join(
            f"{c} smallint NOT NULL" if c == "secrecy" else f"{c} text" for c in DOC_COLUMNS[1:]
        )
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {self.docs} (ord bigint PRIMARY KEY, "
            f"doc_id text NOT NULL UNIQUE, {columns}, sort_day integer NOT NULL, "
            "sort_year integer NOT NULL, tsv tsvector NOT NULL, num_tsv tsvector NOT NULL, "
            "head_tsv tsvector NOT NULL)"
        )
        conn.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {self.docs}_tsv ON {self.docs} USING gin (tsv)"
        )
        conn.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {self.docs}_num ON {self.docs} USING gin (num_tsv)"
        )
        # Candidate queries on the short fields match here: a GIN index does not know
        # weights, so ``'ban':ABC`` against ``tsv`` would recheck (de-TOAST) every document
        # whose body says "ban" — nearly all of them.
        conn.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {self.docs}_head ON {self.docs} USING gin (head_tsv)"
        )
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {self.text} (ord bigint PRIMARY KEY, "
            f"{', '.join(f'{c} text' for c in TEXT_COLUMNS)})"
        )
        for key, value in wanted.items():
            if key not in stored:
                conn.exec_driver_sql(
                    f"INSERT INTO {self.meta} (key, value) VALUES (%s, %s)", (key, value)
                )

    def ensure_schema(self) -> None:
        with self._conn(write=True) as conn:
            self._create(conn)

    def reset(self) -> None:
        with self._conn(write=True) as conn:
            for table in (self.docs, self.text, self.meta):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            self._create(conn)

    # ---- writes ---------------------------------------------------------------------------
    def _remove(self, conn: Connection, doc_ids: Sequence[str]) -> int:
        removed = 0
        for start in range(0, len(doc_ids), _CHUNK):
            chunk = list(doc_ids[start : start + _CHUNK])
            orders = list(
                conn.exec_driver_sql(
                    f"DELETE FROM {self.docs} WHERE doc_id = ANY(%s) RETURNING ord", (chunk,)
                ).scalars()
            )
            if orders:
                conn.exec_driver_sql(f"DELETE FROM {self.text} WHERE ord = ANY(%s)", (orders,))
            removed += len(orders)
        return removed

    def index(self, docs: Iterable[IndexDocument]) -> int:
        rows = latest_rows(docs)
        if not rows:
            return 0
        with self._conn(write=True) as conn:
            self._remove(conn, [r["doc_id"] for r in rows])
            assign_orders(conn, self.docs, rows, "%s")
            for row in rows:
                row["tsv"], row["head_tsv"] = tsvector_literals(row)
                row["num_tsv"] = number_tsvector_literal(row["number_notation"])
            names = ("ord", *DOC_COLUMNS, "sort_day", "sort_year")
            values = ", ".join(["%s"] * len(names) + ["%s::tsvector"] * 3)
            conn.exec_driver_sql(
                f"INSERT INTO {self.docs} ({', '.join(names)}, tsv, num_tsv, head_tsv) "
                f"VALUES ({values})",
                [tuple(r[n] for n in (*names, "tsv", "num_tsv", "head_tsv")) for r in rows],
            )
            text_names = ("ord", *TEXT_COLUMNS)
            conn.exec_driver_sql(
                f"INSERT INTO {self.text} ({', '.join(text_names)}) "
                f"VALUES ({', '.join(['%s'] * len(text_names))})",
                [tuple(r[n] for n in text_names) for r in rows],
            )
        return len(rows)

    def delete(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(str(i) for i in ids))
        if not wanted:
            return 0
        with self._conn(write=True) as conn:
            return self._remove(conn, wanted)

    # ---- reads ----------------------------------------------------------------------------
    def _where(
        self, query: SearchQuery, tsquery: str | None, column: str = "tsv"
    ) -> tuple[str, list[Any]]:
        parts = ["secrecy <= %s"]
        params: list[Any] = [max(0, int(query.max_secrecy))]
        if tsquery is not None:
            parts.insert(0, f"{column} @@ %s::tsquery")
            params.insert(0, tsquery)
        for name, values in query.filter_values().items():
            parts.append(f"{name} = ANY(%s)")
            params.append(values)
        lo, hi = order_range(query.date_from, query.date_to)
        if lo is not None:
            parts.append("ord >= %s")
            params.append(lo)
        if hi is not None:
            parts.append("ord <= %s")
            params.append(hi)
        return " AND ".join(parts), params

    def _tsq(self, parsed: ParsedQuery, kind: str = FOUND_ANY) -> str | None:
        return None if parsed.empty else tsquery_text(parsed, kind)

    def _match(self, parsed: ParsedQuery, kind: str, query: SearchQuery, limit: int) -> list[int]:
        column = "head_tsv" if kind in HEAD_KINDS else "tsv"
        where, params = self._where(query, self._tsq(parsed, kind), column)
        sql = f"SELECT ord FROM {self.docs} WHERE {where} ORDER BY ord DESC LIMIT %s"
        if kind == FOUND_PHRASE:
            return self._phrase_candidates(sql, (*params, limit))
        with self._conn() as conn:
            return list(conn.exec_driver_sql(sql, (*params, limit)).scalars())

    def _phrase_candidates(self, sql: str, params: tuple[Any, ...]) -> list[int]:
        """The phrase-anywhere signal within a time budget: over common words PostgreSQL
        re-checks positions in every matching tsvector (de-TOASTing each), which cost seconds
        at a million documents. Past the budget the query ranks without that signal. (On a
        connection lent by the caller a timeout would abort the caller's transaction: no budget.)"""
        if not isinstance(self._bind, Engine):
            with self._conn() as conn:
                return list(conn.exec_driver_sql(sql, params).scalars())
        try:
            with self._conn() as conn:
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {PHRASE_BUDGET_MS}")
                return list(conn.exec_driver_sql(sql, params).scalars())
        except SearchUnavailable as exc:
            if "statement timeout" not in str(exc):
                raise
            return []

    def _list(self, query: SearchQuery, limit: int) -> list[int]:
        return self._match(ParsedQuery(), FOUND_ANY, query, limit)

    @contextmanager
    def _bitmap_only(self, conn: Connection) -> Iterator[None]:
        """Make the next statements read matches through the GIN index (bitmap scans).

        The planner costs ``tsv @@ q`` on a row as one cheap operator call; it does not see
        that each call first fetches and decompresses the tsvector from TOAST. For "count up
        to 10 000" or "group the newest 10 000" over a common word it therefore walks the
        table (or the order key) and de-TOASTs tens of thousands of rows (~0.2 s at 1M
        documents), where the GIN bitmap visits only the narrow heap rows of the matches.
        Settings are transaction-local and put back, so a lent connection is left as found.
        """
        names = ("enable_seqscan", "enable_indexscan")
        before = conn.exec_driver_sql(
            "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan')"
        ).one()
        conn.exec_driver_sql(
            "SELECT set_config('enable_seqscan', 'off', true), "
            "set_config('enable_indexscan', 'off', true)"
        )
        try:
            yield
        finally:
            conn.exec_driver_sql(
                "SELECT set_config(%s, %s, true), set_config(%s, %s, true)",
                (names[0], before[0], names[1], before[1]),
            )

    def _count(self, parsed: ParsedQuery, query: SearchQuery, cap: int) -> int:
        where, params = self._where(query, self._tsq(parsed))
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {self.docs} WHERE {where} LIMIT %s) m"
        with self._conn() as conn:
            if parsed.empty:
                return int(conn.exec_driver_sql(sql, (*params, cap)).scalar() or 0)
            with self._bitmap_only(conn):
                return int(conn.exec_driver_sql(sql, (*params, cap)).scalar() or 0)

    def _count_and_groups(
        self, parsed: ParsedQuery, query: SearchQuery, columns: Sequence[str], cap: int
    ) -> tuple[int, list[tuple[Any, ...]]]:
        """When the count shows that all matches fit under ``cap``, the newest ``cap`` are
        all of them: group them straight from the GIN bitmap, no ordering, no window."""
        total = self._count(parsed, query, cap + 1)
        if not columns:
            return total, []
        if parsed.empty or total > cap:
            return total, self._facet_groups(parsed, query, columns, cap)
        where, params = self._where(query, self._tsq(parsed))
        cols = ", ".join(columns)
        sql = f"SELECT {cols}, count(*) FROM {self.docs} WHERE {where} GROUP BY {cols}"
        with self._conn() as conn, self._bitmap_only(conn):
            return total, [tuple(r) for r in conn.exec_driver_sql(sql, tuple(params))]

    def _newest_bound(self, conn: Connection, rows: int) -> int | None:
        """The order key ``rows`` documents below the newest (None when there are fewer)."""
        return conn.exec_driver_sql(
            f"SELECT ord FROM {self.docs} ORDER BY ord DESC OFFSET %s LIMIT 1", (rows,)
        ).scalar()

    def _facet_groups(
        self, parsed: ParsedQuery, query: SearchQuery, columns: Sequence[str], cap: int
    ) -> list[tuple[Any, ...]]:
        where, params = self._where(query, self._tsq(parsed))
        cols = ", ".join(columns)
        if parsed.empty:
            sql = (
                f"SELECT {cols}, count(*) FROM (SELECT {cols} FROM {self.docs} WHERE {where} "
                f"ORDER BY ord DESC LIMIT %s) m GROUP BY {cols}"
            )
            with self._conn() as conn:
                return [tuple(r) for r in conn.exec_driver_sql(sql, (*params, cap))]
        # The newest ``cap`` matches, read through the GIN bitmap within a window of the
        # newest documents that grows until it holds ``cap`` matches (or is the whole
        # table): a common word fills the first window, a rare one goes straight on.
        inner = f"SELECT ord, {cols} FROM {self.docs} WHERE {where}"
        with self._conn() as conn:
            window = FACET_WINDOW
            while True:
                bound = self._newest_bound(conn, window)  # an index-only walk of the key
                with self._bitmap_only(conn):
                    if bound is None:
                        sql = f"{inner} ORDER BY ord DESC LIMIT %s"
                        rows = conn.exec_driver_sql(sql, (*params, cap)).all()
                        break
                    sql = f"{inner} AND ord >= %s ORDER BY ord DESC LIMIT %s"
                    rows = conn.exec_driver_sql(sql, (*params, bound, cap)).all()
                if len(rows) >= cap:
                    break
                window *= FACET_WINDOW_GROWTH
        counts: Counter[tuple[Any, ...]] = Counter(tuple(r[1:]) for r in rows)
        return [(*key, n) for key, n in counts.items()]

    def _rank_rows(self, orders: Sequence[int]) -> list[tuple[int, str]]:
        if not orders:
            return []
        with self._conn() as conn:
            return [
                (r[0], r[1])
                for r in conn.exec_driver_sql(
                    f"SELECT ord, rank_text FROM {self.text} WHERE ord = ANY(%s)", (list(orders),)
                )
            ]

    def _load(self, orders: Sequence[int], with_body: bool) -> list[dict[str, Any]]:
        if not orders:
            return []
        body = ", t.body" if with_body else ""
        with self._conn() as conn:
            result = conn.exec_driver_sql(
                f'SELECT d.ord AS "order", d.doc_id, t.number_notation, t.subject{body} '
                f"FROM {self.docs} d JOIN {self.text} t ON t.ord = d.ord "
                "WHERE d.ord = ANY(%s)",
                (list(orders),),
            )
            return [dict(r._mapping) for r in result]

    def suggest_numbers(
        self, prefix: str, max_secrecy: int, limit: int = 10
    ) -> list[NumberSuggestion]:
        toks = number_tokens(prefix)
        if not toks:
            return []
        tsquery = " & ".join([_lex(t) for t in toks[:-1]] + [f"'{toks[-1]}':*"])
        with self._conn() as conn:
            orders = list(
                conn.exec_driver_sql(
                    f"SELECT ord FROM {self.docs} WHERE num_tsv @@ %s::tsquery "
                    "AND secrecy <= %s ORDER BY ord DESC LIMIT %s",
                    (tsquery, max(0, int(max_secrecy)), max(1, min(limit, 100))),
                ).scalars()
            )
        rows = {r["order"]: r for r in self._load(orders, with_body=False)}
        return self._suggestions(rows[o] for o in orders if o in rows)

    def count(self) -> int:
        with self._conn() as conn:
            return int(conn.exec_driver_sql(f"SELECT count(*) FROM {self.docs}").scalar() or 0)

    def optimize(self) -> None:
        """Move the GIN pending lists into the indexes and refresh the planner's statistics:
        what autovacuum would do some minutes after a bulk load, done before the first query."""
        with self._conn(write=True) as conn:
            for suffix in ("tsv", "num", "head"):
                conn.exec_driver_sql(
                    "SELECT gin_clean_pending_list(%s::regclass)", (f"{self.docs}_{suffix}",)
                )
            conn.exec_driver_sql(f"ANALYZE {self.docs}")
            conn.exec_driver_sql(f"ANALYZE {self.text}")

    def close(self) -> None:
        """The engine belongs to the application: nothing to release."""
