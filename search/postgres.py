"""PostgreSQL full-text backend: tsvector/GIN in the application's own database.

search.analysis makes the lexemes and this module writes the tsvectors literally (no text-search
configuration, no ``unaccent``); adjacent-word pairs, filter and month lexemes narrow the GIN
look-ups. Why each of these, and the measurements: docs/search.md ("PostgreSQL").
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from search.analysis import ParsedQuery, Phrase, Term, analyse, number_tokens
from search.base import IndexDocument, NumberSuggestion, SearchQuery
from search.ranking import Found
from search.sqlcommon import (
    DOC_COLUMNS,
    PHRASE_KINDS,
    SEQ_BITS,
    TEXT_COLUMNS,
    SqlBackendBase,
    assign_orders,
    date_clauses,
    filter_token,
    filter_tokens,
    latest_rows,
    meta_text,
    order_range,
)

# Candidate kinds that only look at the number, subject and type/sender/signer/unit.
HEAD_KINDS = frozenset({Found.NUMBER, Found.EXACT_PHRASE, Found.HEAD})
MAX_POSITION = 16383  # PostgreSQL clamps larger positions to this
_CHUNK = 500
_INDEX_CHUNK = 100
# How the newest matches are read (see PostgresBackend._newest): the newest PROBE_ROWS
# documents walked by order key, then more of them (at most WALK_ROWS) when the density of
# matches found says that is cheaper than the GIN bitmap.
PROBE_ROWS = 500
WALK_ROWS = 50_000
# ... and only while that walk reads at most this many documents per match still wanted: a
# bitmap held to a few months visits little more than the matches it keeps (at 1M documents,
# 4, 8, 16 and no limit gave p95 80, 62, 82 and 101 ms; bench/README.md).
WALK_PER_MATCH = 8
BOUNDS_TTL_S = 10.0


# "12B"-style position labels, made once: formatting them per word was most of indexing time.
_LABELS = {w: [f"{p}{w}" for p in range(MAX_POSITION + 1)] for w in "ABCD"}
MAX_POSITIONS_PER_LEXEME = 255


def _add(
    groups: defaultdict[str, list[str]],
    weight: str,
    pos: int,
    folded: list[str],
    accented: list[str],
) -> int:
    """Add the words of one field (folded, and accented where different, at the same
    position) to ``groups`` (lexeme → position labels) and return the next free position.
    Grouping here keeps the literal to one entry per lexeme: parsing and sorting the
    tsvector input was most of PostgreSQL's time when indexing."""
    labels = _LABELS[weight][pos : pos + len(folded)]
    if len(labels) < len(folded):  # PostgreSQL keeps positions up to 16383
        labels += [_LABELS[weight][MAX_POSITION]] * (len(folded) - len(labels))
    for lexeme, label in zip(folded, labels, strict=True):
        groups[lexeme].append(label)
    for f, a, label in zip(folded, accented, labels, strict=True):
        if a != f:
            groups[a].append(label)
    return pos + len(folded) + 1  # a gap: a phrase never spans two fields


# A document whose adjacent-word pairs were cut at MAX_PAIRS carries this lexeme, so a phrase
# look-up still finds it through its words (the positions then decide).
PARTIAL_PAIRS = "zzpairs"
MAX_PAIRS = 5_000


def _pairs(*fields: list[str]) -> list[str]:
    """The distinct adjacent-word pairs ("con_bao") of each field's folded words, and the
    PARTIAL_PAIRS mark past MAX_PAIRS. They carry no positions: a phrase's pairs narrow the
    GIN look-up to documents that nearly always hold the phrase, so positions are checked
    in those only instead of in every document holding the words."""
    pairs = dict.fromkeys(f"{a}_{b}" for words in fields for a, b in pairwise(words))
    if len(pairs) <= MAX_PAIRS:
        return list(pairs)
    return [*list(pairs)[:MAX_PAIRS], PARTIAL_PAIRS]


def _month(day: int) -> int:
    """The month (year * 12 + month - 1) of a day ordinal."""
    date = dt.date.fromordinal(day)
    return date.year * 12 + date.month - 1


def month_token(month: int) -> str:
    """The lexeme every document of a month carries (``zzm202511``), so that a GIN look-up
    can be held to a few months (PostgresBackend._by_months)."""
    year, index = divmod(month, 12)
    return f"zzm{year}{index + 1:02d}"


def _literal(groups: dict[str, list[str]], extra: list[str]) -> str:
    entries = [f"'{lex}':{','.join(ps[:MAX_POSITIONS_PER_LEXEME])}" for lex, ps in groups.items()]
    return " ".join(entries + extra)


def tsvector_literals(row: dict[str, Any]) -> tuple[str, str]:
    """The document's tsvector, and its head (number, subject, type/sender/signer/unit at the
    same positions and weights, no body), in PostgreSQL's input syntax (lexemes are
    alphanumeric). Both carry the filter tokens (search.sqlcommon.filter_token), so a filter
    is a term of the same GIN look-up instead of a column checked on every matching row, and
    the month token of the document's order key."""
    groups: defaultdict[str, list[str]] = defaultdict(list)
    num = number_tokens(row["number_notation"])
    subject, meta, body = analyse(row["subject"]), analyse(meta_text(row)), analyse(row["body"])
    pos = _add(groups, "A", 1, num, num)
    pos = _add(groups, "B", pos, *subject)
    pos = _add(groups, "C", pos, *meta)
    tokens = [f"'{token}'" for token in filter_tokens(row)]
    tokens.append(f"'{month_token(_month(row['sort_day']))}'")
    head = _literal(groups, [f"'{p}'" for p in _pairs(subject[0], meta[0])] + tokens)
    _add(groups, "D", pos, *body)
    pairs = _pairs(subject[0], meta[0], body[0])
    return _literal(groups, [f"'{p}'" for p in pairs] + tokens), head


def number_tsvector_literal(notation: str | None) -> str:
    return " ".join(f"'{t}'" for t in dict.fromkeys(number_tokens(notation)))


def _lex(token: str, weights: str = "") -> str:
    return f"'{token}'" + (f":{weights}" if weights else "")


def _phrase(tokens: Sequence[str], weights: str = "") -> str:
    if len(tokens) == 1:
        return _lex(tokens[0], weights)
    return "(" + " <-> ".join(_lex(t, weights) for t in tokens) + ")"


def _narrow(terms: Sequence[Term], accented: bool = False) -> list[str]:
    """Lexemes every document holding the phrase has: its words and, unless its pairs were
    cut, its adjacent pairs. No positions and no weights, so the GIN index alone decides."""
    words = [_lex(t.accented if accented else t.folded) for t in terms]
    pairs = [_lex(f"{a.folded}_{b.folded}") for a, b in pairwise(terms)]
    return words + ([f"({' & '.join(pairs)} | {_lex(PARTIAL_PAIRS)})"] if pairs else [])


def tsquery_parts(parsed: ParsedQuery, kind: Found) -> tuple[str, str | None]:
    """The tsquery of one candidate query (kinds as in search.ranking) in two parts: what the
    GIN index answers alone (words, pairs, filters), and the positions and weights still to
    check in the documents it finds (None when there is nothing to check)."""
    terms = parsed.terms()
    if kind == Found.NUMBER:
        return " & ".join(_lex(t.folded) for t in terms), " & ".join(
            _lex(t.folded, "A") for t in terms
        )
    if kind in (Found.EXACT_PHRASE, Found.PHRASE):
        accented = kind == Found.EXACT_PHRASE and any(t.folded != t.accented for t in terms)
        words = [t.accented if accented else t.folded for t in terms]
        weights = "BC" if kind == Found.EXACT_PHRASE else ""
        verify = _phrase(words, weights) if len(words) > 1 or weights else None
        return " & ".join(_narrow(terms, accented)), verify
    accented = kind == Found.ACCENTED
    match: list[str] = []
    verify: list[str] = []
    for clause in parsed.clauses:
        if isinstance(clause, Phrase):
            match += _narrow(clause.terms, accented)
            verify.append(_phrase([t.accented if accented else t.folded for t in clause.terms]))
        else:
            match.append(_lex(clause.accented if accented else clause.folded))
    return " & ".join(match), (" & ".join(verify) or None)


# The phrase signals' reads through the GIN bitmap still check positions in every document
# their pairs let through (many for a phrase of common pairs, or past MAX_PAIRS): past this
# budget the query ranks without those rows (the newest, from the walk, are kept).
PHRASE_BUDGET_MS = 60


@dataclass(frozen=True)
class _Lookup:
    """One candidate query as PostgresBackend reads it."""

    column: str  # the tsvector matched: tsv, or head_tsv for the short fields
    where: str  # what the GIN index answers (words, pairs, filters) and the clearance
    params: tuple[Any, ...]
    verify: str | None = None  # positions and weights, checked in the rows found
    budget_ms: int | None = None
    above: int | None = None  # order-key bounds of the query's dates
    below: int | None = None

    def held_to(self, tsquery: str) -> _Lookup:
        """The same look-up, also matching ``tsquery`` on its column."""
        where = f"{self.where} AND {self.column} @@ %s::tsquery"
        return replace(self, where=where, params=(*self.params, tsquery))


class PostgresBackend(SqlBackendBase):
    """Search in PostgreSQL over the application's engine (or one connection it lends)."""

    name = "postgresql"
    label = "PostgreSQL"
    schema_version = "5"
    probe_rows = PROBE_ROWS
    walk_rows = WALK_ROWS

    def __init__(self, bind: Engine | Connection, *, table_prefix: str = "search") -> None:
        super().__init__(bind, table_prefix=table_prefix)
        self._bounds_cache: tuple[float, tuple[int | None, float, int | None]] | None = None

    # ---- schema ---------------------------------------------------------------------------
    def _create(self, conn: Connection) -> None:
        # two workers starting at once must not both create the tables
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('edoc-search-schema'))")
        super()._create(conn)

    def _create_tables(self, conn: Connection) -> None:
        columns = ", ".join(
            f"{c} smallint NOT NULL" if c == "secrecy" else f"{c} text" for c in DOC_COLUMNS[1:]
        )
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {self.docs} (ord bigint PRIMARY KEY, "
            f"doc_id text NOT NULL UNIQUE, {columns}, sort_day integer NOT NULL, "
            "sort_year integer NOT NULL, tsv tsvector NOT NULL, num_tsv tsvector NOT NULL, "
            "head_tsv tsvector NOT NULL) WITH (toast_tuple_target = 8160)"
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

    def reset(self) -> None:
        self._bounds_cache = None
        super().reset()

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
        names = ("ord", *DOC_COLUMNS, "sort_day", "sort_year", "tsv", "num_tsv", "head_tsv")
        values = ", ".join(["%s"] * (len(names) - 3) + ["%s::tsvector"] * 3)
        insert_docs = f"INSERT INTO {self.docs} ({', '.join(names)}) VALUES ({values})"
        text_names = ("ord", *TEXT_COLUMNS)
        insert_text = (
            f"INSERT INTO {self.text} ({', '.join(text_names)}) "
            f"VALUES ({', '.join(['%s'] * len(text_names))})"
        )

        def prepare(chunk: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
            for row in chunk:
                row["tsv"], row["head_tsv"] = tsvector_literals(row)
                row["num_tsv"] = number_tsvector_literal(row["number_notation"])
            return [tuple(r[n] for n in names) for r in chunk]

        chunks = [rows[i : i + _INDEX_CHUNK] for i in range(0, len(rows), _INDEX_CHUNK)]
        with self._conn(write=True) as conn, ThreadPoolExecutor(1) as analyser:
            self._remove(conn, [r["doc_id"] for r in rows])
            assign_orders(conn, self.docs, rows, "postgresql")
            # The next chunk is analysed while PostgreSQL parses and indexes this one (the
            # driver lets go of the GIL while it waits): each side was idle half the time.
            upcoming = analyser.submit(prepare, chunks[0])
            for i, chunk in enumerate(chunks):
                prepared = upcoming.result()
                if i + 1 < len(chunks):
                    upcoming = analyser.submit(prepare, chunks[i + 1])
                conn.exec_driver_sql(insert_docs, prepared)
                conn.exec_driver_sql(insert_text, [tuple(r[n] for n in text_names) for r in chunk])
        return len(rows)

    # ---- reads ----------------------------------------------------------------------------
    def _where(
        self, query: SearchQuery, tsquery: str | None, column: str = "tsv"
    ) -> tuple[str, list[Any]]:
        parts = ["secrecy <= %s"]
        params: list[Any] = [max(0, int(query.max_secrecy))]
        terms = [f"({tsquery})"] if tsquery is not None else []
        for name, values in query.filter_values().items():
            terms.append("(" + " | ".join(_lex(filter_token(name, v)) for v in values) + ")")
        if terms:
            parts.insert(0, f"{column} @@ %s::tsquery")
            params.insert(0, " & ".join(terms))
        dates, bounds = date_clauses(query, "ord", "%s")
        return " AND ".join(parts + dates), params + bounds

    def _lookup(self, parsed: ParsedQuery, kind: Found, query: SearchQuery) -> _Lookup:
        match, verify = tsquery_parts(parsed, kind) if not parsed.empty else (None, None)
        column = "tsv"
        if kind in HEAD_KINDS:
            # the head is stored inline: checking positions as the rows are read costs little
            column = "head_tsv"
            match, verify = " & ".join(p for p in (match, verify) if p) or None, None
        where, params = self._where(query, match, column)
        above, below = order_range(query.date_from, query.date_to)
        budget = PHRASE_BUDGET_MS if kind in PHRASE_KINDS else None
        return _Lookup(column, where, tuple(params), verify, budget, above, below)

    def _match(self, parsed: ParsedQuery, kind: Found, query: SearchQuery, limit: int) -> list[int]:
        lookup = self._lookup(parsed, kind, query)
        with self._conn() as conn:
            return [r[0] for r in self._newest(conn, lookup, "ord", limit)]

    def _list(self, query: SearchQuery, limit: int) -> list[int]:
        return self._match(ParsedQuery(), Found.ANY, query, limit)

    def _count_and_groups(
        self, parsed: ParsedQuery, query: SearchQuery, columns: Sequence[str], cap: int
    ) -> tuple[int, list[tuple[Any, ...]], list[int]]:
        """The newest ``cap + 1`` matches, read once, give the count and (their first ``cap``)
        the facet groups."""
        lookup = self._lookup(parsed, Found.ANY, query)
        with self._conn() as conn:
            rows = self._newest(conn, lookup, ", ".join(("ord", *columns)), cap + 1)
        counts: Counter[tuple[Any, ...]] = Counter(tuple(r[1:]) for r in rows[:cap])
        groups = [(*key, n) for key, n in counts.items()] if columns else []
        return len(rows), groups, [r[0] for r in rows]

    # ---- reading the newest matches ---------------------------------------------------------
    def _newest(self, conn: Connection, lookup: _Lookup, columns: str, limit: int) -> list[Any]:
        """``columns`` of the newest ``limit`` matches of ``lookup``, newest first.

        PostgreSQL has two ways to find them and its planner cannot tell which is cheap: it
        multiplies the frequencies of words that in fact occur together, and a bitmap costs
        a visit of every match it holds. Walking the order key backwards and checking rows
        stops as soon as ``limit`` are found: a few hundred rows for common words, but every
        document for a rare phrase. So the newest ``probe_rows`` documents are walked first;
        their matches tell how dense the words are. The rest is walked too when the words
        are dense (at most ``walk_rows`` more documents, WALK_PER_MATCH per match wanted);
        otherwise it is read through the GIN bitmap, a few months at a time when the matches
        expected are many more than wanted (``_by_months``), in one read when they are few.
        """
        probe, documents, oldest = self._bounds(conn, lookup.below)
        rows: list[Any] = []
        expected = documents
        if probe is not None:
            rows = self._read(conn, lookup, columns, limit, lo=probe)
            missing = limit - len(rows)
            if missing <= 0:
                return rows
            # rows still to walk for the missing matches, against matches the bitmap would
            # visit, at the density the probe saw
            to_walk = missing * self.probe_rows / len(rows) if rows else float("inf")
            expected = len(rows) / self.probe_rows * documents
            if to_walk <= min(expected, self.walk_rows, WALK_PER_MATCH * missing):
                walk = self._key_below(conn, self.probe_rows + int(2 * to_walk), lookup.below)
                rows += self._read(conn, lookup, columns, missing, lo=walk, hi=probe)
                if len(rows) >= limit or walk is None:
                    return rows
                probe = walk
        missing = limit - len(rows)
        if probe is not None and oldest is not None and expected > 2 * missing:
            first = max(oldest, lookup.above or 0) >> SEQ_BITS
            return rows + self._by_months(conn, lookup, columns, missing, probe, first, expected)
        return rows + self._read(conn, lookup, columns, missing, hi=probe)

    def _by_months(
        self,
        conn: Connection,
        lookup: _Lookup,
        columns: str,
        limit: int,
        hi: int,
        first_day: int,
        expected: float,
    ) -> list[Any]:
        """The newest ``limit`` matches below ``hi`` through the GIN bitmap, held to a few
        months at a time by the month tokens, newest first: one bitmap over every month
        would visit thousands of documents to keep a thousand. The first window should hold
        half as many again as wanted at the density expected; each next one is twice as
        long. A time budget covers all of them."""
        last, first = _month((hi - 1) >> SEQ_BITS), _month(first_day)
        per_month = expected / (last - first + 1) if last >= first else expected
        span = max(1, math.ceil(1.5 * limit / per_month)) if per_month > 0 else last - first + 1
        deadline = time.monotonic() + lookup.budget_ms / 1000 if lookup.budget_ms else None
        rows: list[Any] = []
        while last >= first and len(rows) < limit:
            start = max(first, last - span + 1)
            months = " | ".join(_lex(month_token(m)) for m in range(start, last + 1))
            window = lookup.held_to(months)
            if deadline is not None:
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0:
                    break
                window = replace(window, budget_ms=left)
            rows += self._read(conn, window, columns, limit - len(rows), hi=hi)
            last, span = start - 1, span * 2
        return rows

    def _read(
        self,
        conn: Connection,
        lookup: _Lookup,
        columns: str,
        limit: int,
        *,
        lo: int | None = None,
        hi: int | None = None,
    ) -> list[Any]:
        """The newest matches of ``lookup`` with ``lo <= ord < hi``.

        ``lookup.verify`` holds what the GIN index cannot check (positions, weights). It is
        checked in a second statement on the rows found, a quarter more than needed at a
        time: a phrase's pairs let nearly only its documents through, so positions are
        checked in those only, not in every document that holds its words."""
        if lookup.verify is None:
            return self._select(conn, lookup, columns, limit, lo, hi)
        found: list[Any] = []
        fetch = limit + limit // 4 + 8
        while len(found) < limit:
            rows = self._select(conn, lookup, columns, fetch, lo, hi)
            if rows:
                # ts_match_vq is ``@@`` that the planner cannot take to the GIN index: it
                # would, for a tsquery it thinks rare, and check every document with the words
                kept = set(
                    conn.exec_driver_sql(
                        f"SELECT ord FROM {self.docs} "
                        f"WHERE ord = ANY(%s) AND ts_match_vq({lookup.column}, %s::tsquery)",
                        ([r[0] for r in rows], lookup.verify),
                    ).scalars()
                )
                found += [r for r in rows if r[0] in kept]
            if len(rows) < fetch:
                break
            hi, fetch = rows[-1][0], fetch * 2
        return found[:limit]

    def _select(
        self,
        conn: Connection,
        lookup: _Lookup,
        columns: str,
        limit: int,
        lo: int | None,
        hi: int | None,
    ) -> list[Any]:
        """One statement reading the newest rows with ``lo <= ord < hi``: walking the order
        key when there is a lower bound, through the GIN bitmap otherwise."""
        sql = f"SELECT {columns} FROM {self.docs} WHERE {lookup.where}"
        args = list(lookup.params)
        if lo is not None:
            sql += " AND ord >= %s"
            args.append(lo)
        if hi is not None:
            sql += " AND ord < %s"
            args.append(hi)
        sql += " ORDER BY ord DESC LIMIT %s"
        args.append(limit)
        by_walk = lo is not None
        settings = {
            "enable_seqscan": "off",
            "enable_bitmapscan": "off" if by_walk else "on",
            "enable_indexscan": "on" if by_walk else "off",
        }
        budget_ms = lookup.budget_ms
        if budget_ms is not None and isinstance(self._bind, Engine):
            # On a connection lent by the caller a timeout would abort the caller's
            # transaction: no budget there.
            settings["statement_timeout"] = str(budget_ms)
        try:
            with self._settings(conn, settings):
                return list(conn.exec_driver_sql(sql, tuple(args)).all())
        except DBAPIError as exc:
            if budget_ms is None or "statement timeout" not in str(exc.orig):
                raise
        conn.rollback()  # past the budget: the ranking goes on without these rows
        return []

    @contextmanager
    def _settings(self, conn: Connection, settings: dict[str, str]) -> Iterator[None]:
        """Planner settings for the next statement, transaction-local. Our own connections
        end their transaction after the read; a lent one gets its settings put back."""
        names = list(settings)
        lent = not isinstance(self._bind, Engine)
        before = (
            conn.exec_driver_sql(
                "SELECT " + ", ".join("current_setting(%s)" for _ in names), tuple(names)
            ).one()
            if lent
            else ()
        )
        self._set(conn, names, [settings[n] for n in names])
        yield  # after an error the transaction is void, and its settings with it
        if lent:
            self._set(conn, names, list(before))

    @staticmethod
    def _set(conn: Connection, names: list[str], values: list[str]) -> None:
        pairs = [x for pair in zip(names, values, strict=True) for x in pair]
        conn.exec_driver_sql(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in names), tuple(pairs)
        )

    def _bounds(self, conn: Connection, below: int | None) -> tuple[int | None, float, int | None]:
        """The order key ``probe_rows`` documents below the newest (or below ``below``), None
        when there are fewer; the planner's estimate of the documents in the table; the
        oldest order key. Without an end date they are kept for a few seconds: a stale bound
        only moves where one read stops and the next begins."""
        now = time.monotonic()
        cached = below is None and isinstance(self._bind, Engine)
        if cached and self._bounds_cache and now - self._bounds_cache[0] < BOUNDS_TTL_S:
            return self._bounds_cache[1]
        documents, oldest = conn.exec_driver_sql(
            f"SELECT (SELECT reltuples FROM pg_class WHERE oid = %s::regclass), "
            f"(SELECT min(ord) FROM {self.docs})",
            (self.docs,),
        ).one()
        probe = self._key_below(conn, self.probe_rows, below)
        bounds = (probe, max(float(documents or 0), 0), oldest)
        if cached:
            self._bounds_cache = (now, bounds)
        return bounds

    def _key_below(self, conn: Connection, rows: int, below: int | None) -> int | None:
        """The order key ``rows`` documents below the newest (index-only walk)."""
        where, args = ("WHERE ord <= %s", [below]) if below is not None else ("", [])
        return conn.exec_driver_sql(
            f"SELECT ord FROM {self.docs} {where} ORDER BY ord DESC OFFSET %s LIMIT 1",
            (*args, rows),
        ).scalar()

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
        return self._suggestions(orders)

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
