"""SQLite FTS5 backend: full-text search inside the application's own SQLite database.

Contentless FTS5 tables fed by search.analysis, with filters and clearance as tokens of the
MATCH; user text never reaches FTS5 syntax. The tables and why each exists: docs/search.md
("SQLite: FTS5").
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from search.analysis import ParsedQuery, Phrase, Term, analyse, number_key, number_tokens
from search.base import IndexDocument, NumberSuggestion, SearchQuery, SearchUnavailable
from search.ranking import Found
from search.sqlcommon import (
    DOC_COLUMNS,
    MAX_SECRECY_LEVEL,
    PHRASE_KINDS,
    TEXT_COLUMNS,
    SqlBackendBase,
    assign_orders,
    date_clauses,
    filter_token,
    filter_tokens,
    latest_rows,
    meta_text,
    secrecy_token,
)

FTS_COLUMNS = ("num", "subj", "meta", "body", "subj_a", "meta_a", "body_a", "flt")
# The same columns without the body, in a table of their own (``search_head``): FTS5 column
# filters do not shorten doclists, so "every word in the subject" over the main table walks
# every document whose *body* has the words (all of them for "ủy ban nhân dân tỉnh": 1.7 s at
# 1M documents). In a table that only holds the short fields the doclists are the answer.
HEAD_COLUMNS = ("num", "subj", "meta", "subj_a", "meta_a", "flt")
_HEAD_VALUES = tuple(FTS_COLUMNS.index(c) for c in HEAD_COLUMNS)
HEAD_KINDS = frozenset({Found.EXACT_PHRASE, Found.HEAD})
PHRASE_BUDGET_MS = 20  # see _newest_within
FOLD_ALL = "{num subj meta body}"
FOLD_HEAD = "{num subj meta}"
ACC_ALL = "{subj_a meta_a body_a}"
ACC_HEAD = "{subj_a meta_a}"
_CHUNK = 500


def _q(tokens: Iterable[str]) -> str:
    """A quoted FTS5 phrase; tokens are alphanumeric by construction, so quoting is total."""
    return '"' + " ".join(tokens) + '"'


def _clause_terms(clause: Term | Phrase) -> tuple[Term, ...]:
    return clause.terms if isinstance(clause, Phrase) else (clause,)


def fts_values(row: dict[str, Any]) -> tuple[str, ...]:
    """The FTS5 column values for a stored row, in FTS_COLUMNS order (insert and delete)."""
    sf, sa = analyse(row["subject"])
    mf, ma = analyse(meta_text(row))
    bf, ba = analyse(row["body"])
    return (
        number_key(row["number_notation"]),
        " ".join(sf),
        " ".join(mf),
        " ".join(bf),
        " ".join(sa),
        " ".join(ma),
        " ".join(ba),
        " ".join(filter_tokens(row)),
    )


def match_expression(parsed: ParsedQuery, kind: Found) -> str:
    """The FTS5 expression of one candidate query (see search.ranking for the kinds)."""
    clauses = parsed.clauses
    if kind == Found.NUMBER:
        return " AND ".join(f"{{num}}: {_q([t.folded])}" for t in parsed.terms())
    if kind == Found.EXACT_PHRASE:
        terms = parsed.terms()
        if any(t.folded != t.accented for t in terms):
            return f"{ACC_HEAD}: {_q(t.accented for t in terms)}"
        return f"{{subj meta}}: {_q(t.folded for t in terms)}"
    if kind == Found.PHRASE:
        return f"{FOLD_ALL}: {_q(t.folded for t in parsed.terms())}"
    if kind == Found.ACCENTED:
        parts = []
        for clause in clauses:
            terms = _clause_terms(clause)
            if any(t.folded != t.accented for t in terms):
                parts.append(f"{ACC_ALL}: {_q(t.accented for t in terms)}")
            else:
                parts.append(f"{FOLD_ALL}: {_q(t.folded for t in terms)}")
        return " AND ".join(parts)
    columns = FOLD_HEAD if kind == Found.HEAD else FOLD_ALL
    return " AND ".join(f"{columns}: {_q(t.folded for t in _clause_terms(c))}" for c in clauses)


def filter_expression(query: SearchQuery) -> tuple[str, str]:
    """(required filters, excluded secrecy) FTS5 sub-expressions; either may be empty."""
    required = []
    for name, values in query.filter_values().items():
        tokens = " OR ".join(_q([filter_token(name, v)]) for v in values)
        required.append(f"{{flt}}: ({tokens})")
    clearance = max(0, int(query.max_secrecy))
    hidden = [secrecy_token(level) for level in range(clearance + 1, MAX_SECRECY_LEVEL + 1)]
    excluded = "{flt}: (" + " OR ".join(_q([t]) for t in hidden) + ")" if hidden else ""
    return " AND ".join(required), excluded


def _newest_within(conn: Connection, sql: str, params: Sequence[Any], budget_ms: int) -> list[int]:
    """The order keys a candidate query yields within ``budget_ms``.

    A phrase of common words ("hỗ trợ người dân thiên tai") makes FTS5 read the position
    lists of every document holding all the words: 0.1 s at a million documents when the
    phrase itself is rare. Matches arrive newest first, so what the budget allows is the
    newest part of the answer: the ranking signal then covers recent years, not all of them.
    """
    raw = conn.connection.dbapi_connection
    deadline = time.perf_counter() + budget_ms / 1000
    raw.set_progress_handler(lambda: time.perf_counter() > deadline, 1000)
    found: list[int] = []
    cursor = raw.cursor()
    try:
        cursor.execute(sql, tuple(params))
        while batch := cursor.fetchmany(64):
            found.extend(row[0] for row in batch)
    except sqlite3.OperationalError as exc:
        if "interrupted" not in str(exc):
            raise SearchUnavailable(f"SQLite search failed: {exc}") from exc
    finally:
        cursor.close()
        raw.set_progress_handler(None, 0)
    return found


class SQLiteBackend(SqlBackendBase):
    """Search in SQLite FTS5 over the application's engine (or one connection it lends)."""

    name = "sqlite"
    label = "SQLite"
    schema_version = "2"

    def __init__(self, bind: Engine | Connection, *, table_prefix: str = "search") -> None:
        super().__init__(bind, table_prefix=table_prefix)
        self.fts = f"{table_prefix}_fts"
        self.num = f"{table_prefix}_num"
        self.head = f"{table_prefix}_head"

    # ---- schema ---------------------------------------------------------------------------
    def _tables(self) -> tuple[str, ...]:
        return (self.fts, self.head, self.num, self.docs, self.text, self.meta)

    def _create_tables(self, conn: Connection) -> None:
        columns = ", ".join(
            f"{c} INTEGER NOT NULL" if c == "secrecy" else f"{c} TEXT" for c in DOC_COLUMNS[1:]
        )
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {self.docs} (ord INTEGER PRIMARY KEY, "
            f"doc_id TEXT NOT NULL UNIQUE, {columns}, "
            "sort_day INTEGER NOT NULL, sort_year INTEGER NOT NULL)"
        )
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {self.text} (ord INTEGER PRIMARY KEY, "
            f"{', '.join(f'{c} TEXT' for c in TEXT_COLUMNS)})"
        )
        tokenizer = "tokenize = 'unicode61 remove_diacritics 0'"
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.fts} USING fts5("
            f"{', '.join(FTS_COLUMNS)}, content = '', columnsize = 0, {tokenizer})"
        )
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.head} USING fts5("
            f"{', '.join(HEAD_COLUMNS)}, content = '', columnsize = 0, {tokenizer})"
        )
        conn.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.num} USING fts5("
            f"num, flt, content = '', columnsize = 0, prefix = '1 2 3', {tokenizer})"
        )

    # ---- writes ---------------------------------------------------------------------------
    def _remove(self, conn: Connection, doc_ids: Sequence[str]) -> int:
        removed = 0
        cols = (
            ", ".join(f"d.{c}" for c in DOC_COLUMNS)
            + ", "
            + ", ".join(f"t.{c}" for c in TEXT_COLUMNS)
        )
        for start in range(0, len(doc_ids), _CHUNK):
            chunk = list(doc_ids[start : start + _CHUNK])
            marks = ", ".join("?" * len(chunk))
            result = conn.exec_driver_sql(
                f"SELECT d.ord, {cols} FROM {self.docs} d JOIN {self.text} t ON t.ord = d.ord "
                f"WHERE d.doc_id IN ({marks})",
                tuple(chunk),
            )
            rows = [dict(r._mapping) for r in result]
            if not rows:
                continue
            fts_cols = ", ".join(FTS_COLUMNS)
            values = [fts_values(r) for r in rows]
            conn.exec_driver_sql(
                f"INSERT INTO {self.fts} ({self.fts}, rowid, {fts_cols}) "
                f"VALUES ('delete', ?, {', '.join('?' * len(FTS_COLUMNS))})",
                [(r["ord"], *v) for r, v in zip(rows, values, strict=True)],
            )
            conn.exec_driver_sql(
                f"INSERT INTO {self.head} ({self.head}, rowid, {', '.join(HEAD_COLUMNS)}) "
                f"VALUES ('delete', ?, {', '.join('?' * len(HEAD_COLUMNS))})",
                [
                    (r["ord"], *(v[i] for i in _HEAD_VALUES))
                    for r, v in zip(rows, values, strict=True)
                ],
            )
            conn.exec_driver_sql(
                f"INSERT INTO {self.num} ({self.num}, rowid, num, flt) VALUES ('delete', ?, ?, ?)",
                [
                    (
                        r["ord"],
                        number_key(r["number_notation"]),
                        " ".join(filter_tokens(r)),
                    )
                    for r in rows
                ],
            )
            for table in (self.docs, self.text):
                conn.exec_driver_sql(
                    f"DELETE FROM {table} WHERE ord = ?", [(r["ord"],) for r in rows]
                )
            removed += len(rows)
        return removed

    def index(self, docs: Iterable[IndexDocument]) -> int:
        rows = latest_rows(docs)
        if not rows:
            return 0
        with self._conn(write=True) as conn:
            self._remove(conn, [r["doc_id"] for r in rows])
            assign_orders(conn, self.docs, rows, "sqlite")
            for table, names in (
                (self.docs, ("ord", *DOC_COLUMNS, "sort_day", "sort_year")),
                (self.text, ("ord", *TEXT_COLUMNS)),
            ):
                conn.exec_driver_sql(
                    f"INSERT INTO {table} ({', '.join(names)}) "
                    f"VALUES ({', '.join('?' * len(names))})",
                    [tuple(r[n] for n in names) for r in rows],
                )
            fts = [(r["ord"], *fts_values(r)) for r in rows]
            conn.exec_driver_sql(
                f"INSERT INTO {self.fts} (rowid, {', '.join(FTS_COLUMNS)}) "
                f"VALUES (?, {', '.join('?' * len(FTS_COLUMNS))})",
                fts,
            )
            conn.exec_driver_sql(
                f"INSERT INTO {self.head} (rowid, {', '.join(HEAD_COLUMNS)}) "
                f"VALUES (?, {', '.join('?' * len(HEAD_COLUMNS))})",
                [(v[0], *(v[1 + i] for i in _HEAD_VALUES)) for v in fts],
            )
            conn.exec_driver_sql(
                f"INSERT INTO {self.num} (rowid, num, flt) VALUES (?, ?, ?)",
                [(v[0], v[1], v[8]) for v in fts],
            )
        return len(rows)

    # ---- reads ----------------------------------------------------------------------------
    def _fts_where(
        self, expression: str, query: SearchQuery, table: str = ""
    ) -> tuple[str, list[Any]]:
        required, excluded = filter_expression(query)
        full = f"({expression})"
        if required:
            full += f" AND ({required})"
        if excluded:
            full += f" NOT {excluded}"
        dates, params = date_clauses(query, "rowid", "?")
        return " AND ".join([f"{table or self.fts} MATCH ?", *dates]), [full, *params]

    def _docs_where(self, query: SearchQuery) -> tuple[str, list[Any]]:
        parts = ["secrecy <= ?"]
        params: list[Any] = [max(0, int(query.max_secrecy))]
        for name, values in query.filter_values().items():
            parts.append(f"{name} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        dates, bounds = date_clauses(query, "ord", "?")
        return " AND ".join(parts + dates), params + bounds

    def _newest_matches(self, parsed: ParsedQuery, query: SearchQuery) -> tuple[str, list[Any]]:
        """A SELECT of the order keys (``r``) of the visible matches, newest first, ending in
        ``LIMIT ?`` for the caller to fill; and its parameters. Without text, a walk of the
        document table; with text, of FTS5's doclists."""
        if parsed.empty:
            where, params = self._docs_where(query)
            table, key = self.docs, "ord"
        else:
            where, params = self._fts_where(match_expression(parsed, Found.ANY), query)
            table, key = self.fts, "rowid"
        return f"SELECT {key} AS r FROM {table} WHERE {where} ORDER BY {key} DESC LIMIT ?", params

    def _match(self, parsed: ParsedQuery, kind: Found, query: SearchQuery, limit: int) -> list[int]:
        table = self.num if kind == Found.NUMBER else self.head if kind in HEAD_KINDS else self.fts
        where, params = self._fts_where(match_expression(parsed, kind), query, table)
        sql = f"SELECT rowid FROM {table} WHERE {where} ORDER BY rowid DESC LIMIT ?"
        with self._conn() as conn:
            if kind in PHRASE_KINDS:
                return _newest_within(conn, sql, (*params, limit), PHRASE_BUDGET_MS)
            return list(conn.exec_driver_sql(sql, (*params, limit)).scalars())

    def _list(self, query: SearchQuery, limit: int) -> list[int]:
        sql, params = self._newest_matches(ParsedQuery(), query)
        with self._conn() as conn:
            return list(conn.exec_driver_sql(sql, (*params, limit)).scalars())

    def _count_and_groups(
        self, parsed: ParsedQuery, query: SearchQuery, columns: Sequence[str], cap: int
    ) -> tuple[int, list[tuple[Any, ...]], list[int]]:
        """One pass over the newest ``cap + 1`` matches gives the count, and their first
        ``cap`` give the facets: FTS5 walks a common word's doclist once instead of twice.
        Without text, the count and the groups are a walk of the document table each."""
        matches, params = self._newest_matches(parsed, query)
        with self._conn() as conn:
            if not columns or parsed.empty:
                total = conn.exec_driver_sql(
                    f"SELECT count(*) FROM ({matches})", (*params, cap + 1)
                ).scalar()
                groups = []
                if columns:
                    cols = ", ".join(f"d.{c}" for c in columns)
                    groups = conn.exec_driver_sql(
                        f"SELECT {cols}, count(*) FROM ({matches}) m "
                        f"JOIN {self.docs} d ON d.ord = m.r GROUP BY {cols}",
                        (*params, cap),
                    ).all()
                return int(total or 0), [tuple(r) for r in groups], []
            orders = list(conn.exec_driver_sql(matches, (*params, cap + 1)).scalars())
            cols = ", ".join(columns)
            groups = conn.exec_driver_sql(
                f"SELECT {cols}, count(*) FROM {self.docs} "
                f"WHERE ord IN (SELECT value FROM json_each(?)) GROUP BY {cols}",
                (json.dumps(orders[:cap]),),
            ).all()
            return len(orders), [tuple(r) for r in groups], orders

    def _rank_rows(self, orders: Sequence[int]) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        with self._conn() as conn:
            for start in range(0, len(orders), _CHUNK):
                chunk = tuple(orders[start : start + _CHUNK])
                out.extend(
                    (r[0], r[1])
                    for r in conn.exec_driver_sql(
                        f"SELECT ord, rank_text FROM {self.text} "
                        f"WHERE ord IN ({', '.join('?' * len(chunk))})",
                        chunk,
                    )
                )
        return out

    def _load(self, orders: Sequence[int], with_body: bool) -> list[dict[str, Any]]:
        body = ", t.body" if with_body else ""
        out: list[dict[str, Any]] = []
        with self._conn() as conn:
            for start in range(0, len(orders), _CHUNK):
                chunk = tuple(orders[start : start + _CHUNK])
                result = conn.exec_driver_sql(
                    f'SELECT d.ord AS "order", d.doc_id, t.number_notation, t.subject{body} '
                    f"FROM {self.docs} d JOIN {self.text} t ON t.ord = d.ord "
                    f"WHERE d.ord IN ({', '.join('?' * len(chunk))})",
                    chunk,
                )
                out.extend(dict(r._mapping) for r in result)
        return out

    def suggest_numbers(
        self, prefix: str, max_secrecy: int, limit: int = 10
    ) -> list[NumberSuggestion]:
        toks = number_tokens(prefix)
        if not toks:
            return []
        parts = [_q([t]) for t in toks[:-1]] + [_q([toks[-1]]) + " *"]
        expression = "{num}: (" + " AND ".join(parts) + ")"
        _, excluded = filter_expression(SearchQuery(max_secrecy=max_secrecy))
        if excluded:
            expression = f"({expression}) NOT {excluded}"
        with self._conn() as conn:
            orders = list(
                conn.exec_driver_sql(
                    f"SELECT rowid FROM {self.num} WHERE {self.num} MATCH ? "
                    "ORDER BY rowid DESC LIMIT ?",
                    (expression, max(1, min(limit, 100))),
                ).scalars()
            )
        return self._suggestions(orders)

    def optimize(self) -> None:
        """Merge each FTS5 table into one segment: a bulk load leaves a dozen, and every
        query walks each one (number look-ups at 1M documents went from ~45 to ~30 ms)."""
        with self._conn(write=True) as conn:
            for table in (self.fts, self.head, self.num):
                conn.exec_driver_sql(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
