"""Tantivy backend: an embedded index in a directory, every match ranked and counted.

Tantivy (tantivy-py) indexes the token streams of search.analysis — never its own analysers —
so it matches exactly what the database backends match: the folded form of every field, the
accented form beside it for ranking. One query does the work the database backends split in
candidate sets: BM25 over **all** matches plus constant-score signals weighted like
search.ranking (number, subject, exact diacritics, phrase) and a gentle recency prior, exact
totals from the same pass, exact facets from an aggregation over all matches.

Directory layout (``tantivy:///var/lib/edoc/search``)::

    CURRENT            name of the live generation, replaced atomically (os.replace)
    gen-000003/        a complete Tantivy index + edoc.json (versions) + seq (order counter)

``rebuild`` fills a new generation and then switches ``CURRENT``: searches answer from the old
one until the switch, never from an empty index. Readers (every web worker) notice a new
generation or a new commit by a ``stat`` per search and reload; only one process writes at a
time (Tantivy's writer lock; the worker), others get SearchUnavailable and the outbox retries.
Why and the measurements: docs/search.md ("Tantivy").
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import tantivy
from tantivy import FieldType, Occur, Order, Query

from search.analysis import (
    ANALYSIS_VERSION,
    ParsedQuery,
    Phrase,
    Term,
    analyse,
    number_key,
    parse_query,
)
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
from search.sqlcommon import MAX_SECRECY_LEVEL, latest_rows, meta_text

SCHEMA_VERSION = "2"
POINTER = "CURRENT"
SEQ_BITS = 32
# Hits fetched beyond the page so that equal scores can be ordered newest first in Python
# (Tantivy breaks score ties by document address, not by date).
TIE_WINDOW = 50
# Terms aggregation size: larger than any field's number of distinct values in practice, so
# the facet counts are exact (Tantivy reports doc_count_error_upper_bound = 0 then).
FACET_SIZE = 65_000
WRITER_HEAP = 64_000_000
LOCK_WAIT_SECONDS = 10.0

# Field boosts of the BM25 part: a word in the number or subject says more than in the body.
FIELD_BOOSTS = {"num": 1.5, "subj": 1.5, "meta": 1.2, "body": 1.0}
# BM25 orders the documents the signals leave equal (about a point per word at most); at 0.25
# weight it outvoted the signals ("Lý Sơn" as a phrase in a body lost to "quản lý" in a subject
# and "Sơn Tịnh" in a sender: the relevance set's body_place_name).
BM25_WEIGHT = 0.05
PHRASE_FIELDS = ("subj", "meta", "body")
HEAD_PHRASE_FIELDS = ("subj", "meta")
# What the body-only signals can add to a score at most (phrase anywhere 10, exact diacritics
# anywhere 4), before the recency prior's factor.
BODY_SIGNALS = 14.0
# The first phase keeps this many matches (at least) for the second to rescore with the body
# signals (TantivyBackend._ranked; the number by bench/search.py's overlap@10).
RESCORE_WINDOW = 200
# Recency prior: Tantivy multiplies the score by log2(2 + prior); prior grows by PRIOR_PER_YEAR
# a year after 2000, so three years move a score by well under one percent: it orders
# near-equals, it never lifts an old document over a better one (or the reverse).
PRIOR_EPOCH = 730_120  # date(2000, 1, 1).toordinal()
PRIOR_PER_YEAR = 0.003


# "phrases": the analysed short fields and body, stored for the second ranking phase
STORED_ONLY = ("subject", "number_notation", "body_text", "phrases")
PHRASE_PARTS = ("subj", "meta", "body", "subj_a", "meta_a", "body_a")


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    for name in ("num", "subj", "meta", "body", "subj_a", "meta_a", "body_a"):
        builder.add_text_field(name, tokenizer_name="whitespace")
    for name in KEYWORD_FILTERS:
        builder.add_text_field(
            name, stored=False, fast=True, tokenizer_name="raw", index_option="basic"
        )
    builder.add_text_field("numkey", tokenizer_name="whitespace")
    for name in STORED_ONLY:  # what highlights and suggestions show: stored, not indexed
        builder.add_bytes_field(name, stored=True)
    builder.add_integer_field("secrecy", indexed=True, fast=True)
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_integer_field("ord", indexed=True, fast=True, stored=True)
    builder.add_float_field("prior", fast=True)
    return builder.build()


SCHEMA = _schema()


def _prior(day: int) -> float:
    return max(0.0, (day - PRIOR_EPOCH) / 365.25 * PRIOR_PER_YEAR)


def _words(tokens: Iterable[str]) -> str:
    return " ".join(tokens)


def _to_document(row: dict[str, Any], order: int) -> tantivy.Document:
    sf, sa = analyse(row["subject"])
    mf, ma = analyse(meta_text(row))
    bf, ba = analyse(row["body"])
    doc = tantivy.Document()
    doc.add_text("id", row["doc_id"])
    num = number_key(row["number_notation"])
    doc.add_text("num", num)
    doc.add_text("numkey", num)
    doc.add_text("subj", _words(sf))
    doc.add_text("meta", _words(mf))
    doc.add_text("body", _words(bf))
    doc.add_text("subj_a", _words(sa))
    doc.add_text("meta_a", _words(ma))
    doc.add_text("body_a", _words(ba))
    for name in KEYWORD_FILTERS:
        if row.get(name):
            doc.add_text(name, str(row[name]))
    doc.add_bytes("subject", row["subject"].encode())
    doc.add_bytes("number_notation", (row["number_notation"] or "").encode())
    doc.add_bytes("body_text", row["body"].encode())
    doc.add_bytes("phrases", "\t".join(_words(t) for t in (sf, mf, bf, sa, ma, ba)).encode())
    doc.add_integer("secrecy", int(row["secrecy"]))
    doc.add_integer("day", int(row["sort_day"]))
    doc.add_integer("year", int(row["sort_year"]))
    doc.add_integer("ord", order)
    doc.add_float("prior", _prior(int(row["sort_day"])))
    return doc


# ---- queries --------------------------------------------------------------------------------


def _clause_terms(clause: Term | Phrase) -> tuple[Term, ...]:
    return clause.terms if isinstance(clause, Phrase) else (clause,)


def _const(query: Query, score: float) -> Query:
    return Query.const_score_query(query, round(score, 6))


def _all(queries: Sequence[Query]) -> Query:
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Must, q) for q in queries])


def _any(queries: Sequence[Query]) -> Query:
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, q) for q in queries])


def _words_in(field: str, words: Sequence[str]) -> Query:
    """The words next to each other in ``field`` (one word: a term query)."""
    if len(words) == 1:
        return Query.term_query(SCHEMA, field, words[0])
    return Query.phrase_query(SCHEMA, field, list(words))


def match_query(parsed: ParsedQuery) -> Query:
    """Every word (or quoted phrase) in some folded field, scored by BM25 on its best field."""
    musts = []
    for clause in parsed.clauses:
        words = [t.folded for t in _clause_terms(clause)]
        fields = PHRASE_FIELDS if len(words) > 1 else tuple(FIELD_BOOSTS)
        per_field = [
            Query.boost_query(_words_in(field, words), FIELD_BOOSTS[field]) for field in fields
        ]
        musts.append(Query.disjunction_max_query(per_field, tie_breaker=0.1))
    return Query.boost_query(_all(musts), BM25_WEIGHT)


def scoring_queries(parsed: ParsedQuery, *, head_only: bool = False) -> list[Query]:
    """Constant-score relevance signals, weighted like search.ranking.score (and like the
    Elasticsearch backend's ``scoring_clauses``): added to BM25 for every match.

    ``head_only`` leaves out what only a body can give (the phrase anywhere, the exact
    diacritics anywhere: at most BODY_SIGNALS points): the short fields' postings are cheap to
    read for every match, the bodies' positions are not. The first phase ranks every match
    by the head signals; the second adds the body ones to the best few (``search``)."""
    terms = parsed.terms()
    if not terms:
        return []
    n = len(terms)
    folded = [t.folded for t in terms]
    accented = [t.accented for t in terms]
    out = [_const(_all([Query.term_query(SCHEMA, "num", w) for w in dict.fromkeys(folded)]), 50.0)]
    for term in dict.fromkeys(terms):
        weight = sum(1 for t in terms if t == term) / n
        out.append(_const(Query.term_query(SCHEMA, "subj", term.folded), 10.0 * weight))
        out.append(_const(Query.term_query(SCHEMA, "subj_a", term.accented), 6.0 * weight))
        out.append(_const(Query.term_query(SCHEMA, "meta", term.folded), 3.0 * weight))
    if n > 1:
        out.append(_const(_words_in("subj", folded), 5.0))
        out.append(_const(_words_in("subj_a", accented), 3.0))
        # the words as a phrase anywhere, body included (search.ranking.Found.PHRASE)
        fields = HEAD_PHRASE_FIELDS if head_only else PHRASE_FIELDS
        out.append(_const(_any([_words_in(f, folded) for f in fields]), 10.0))
    for clause in parsed.clauses:
        if isinstance(clause, Phrase):
            out.append(_const(_words_in("subj", [t.folded for t in clause.terms]), 3.0))
    if folded != accented:
        # every word with its exact diacritics somewhere, or the whole query as typed in the
        # subject or metadata (search.ranking.Found.ACCENTED / EXACT_PHRASE)
        head = _any([_words_in(f, accented) for f in ("subj_a", "meta_a")])
        if head_only:
            out.append(_const(head, 4.0))
        else:
            everywhere = _all(
                [
                    _any(
                        [
                            _words_in(f, [t.accented for t in _clause_terms(c)])
                            for f in ("subj_a", "meta_a", "body_a")
                        ]
                    )
                    for c in parsed.clauses
                ]
            )
            out.append(_const(_any([head, everywhere]), 4.0))
    else:
        out.append(_const(_any([_words_in(f, folded) for f in ("subj", "meta")]), 4.0))
    return out


def filter_query(query: SearchQuery) -> list[Query]:
    """Clearance, exact filters and date range, as zero-score clauses every match must pass."""
    clearance = min(max(0, int(query.max_secrecy)), MAX_SECRECY_LEVEL)
    out = [Query.range_query(SCHEMA, "secrecy", FieldType.Integer, 0, clearance)]
    for name, values in query.filter_values().items():
        out.append(Query.term_set_query(SCHEMA, name, list(dict.fromkeys(values))))
    if query.date_from is not None or query.date_to is not None:
        low = query.date_from.toordinal() if query.date_from else 0
        high = query.date_to.toordinal() if query.date_to else 10_000_000
        out.append(Query.range_query(SCHEMA, "day", FieldType.Integer, low, high))
    return [_const(q, 0.0) for q in out]


def build_query(query: SearchQuery, parsed: ParsedQuery, *, head_only: bool = False) -> Query:
    """The one query: filters and words must match; by relevance, signals may add score."""
    musts = filter_query(query)
    if not parsed.empty:
        musts.append(match_query(parsed))
    clauses = [(Occur.Must, q) for q in musts]
    if not parsed.empty and query.sort == "relevance":
        clauses.extend((Occur.Should, q) for q in scoring_queries(parsed, head_only=head_only))
    return Query.boolean_query(clauses)


def _body_signals(
    searcher: tantivy.Searcher, parsed: ParsedQuery, addresses: Sequence[Any]
) -> list[float]:
    """What the body signals add (before the prior) to each of the documents at
    ``addresses``: the phrase only in a body (10), the exact diacritics only with a body (4).

    Read from the analysed fields stored with each document ("phrases"): a few hundred stored
    documents are read in about a millisecond, where asking Tantivy costs a query per field and
    word group (a disjunction would make its union scan every match in blocks of 4096)."""
    terms = parsed.terms()
    if not terms:
        return [0.0] * len(addresses)
    folded = _padded([t.folded for t in terms])
    accented = _padded([t.accented for t in terms])
    groups = [_padded([t.accented for t in _clause_terms(c)]) for c in parsed.clauses]
    phrase = len(terms) > 1
    diacritics = folded != accented
    out = []
    for address in addresses:
        value = searcher.doc(address).get_first("phrases")
        parts = dict(zip(PHRASE_PARTS, _padded_parts(value), strict=False))
        bonus = 0.0
        if (
            phrase
            and folded in parts.get("body", "")
            and folded not in parts.get("subj", "")
            and folded not in parts.get("meta", "")
        ):
            bonus += 10.0
        if (
            diacritics
            and accented not in parts.get("subj_a", "")
            and accented not in parts.get("meta_a", "")
            and all(
                any(group in parts.get(f, "") for f in ("subj_a", "meta_a", "body_a"))
                for group in groups
            )
        ):
            bonus += 4.0
        out.append(bonus)
    return out


def _padded(words: Sequence[str]) -> str:
    """Words as a space-delimited needle: ``" a b "`` is in ``" x a b y "`` exactly when the
    words are next to each other, in order (what a phrase query matches)."""
    return " " + " ".join(words) + " "


def _padded_parts(value: Any) -> list[str]:
    text = bytes(value).decode() if value is not None else ""
    return [f" {part} " for part in text.split("\t")]


# ---- the index directory --------------------------------------------------------------------


class _Generation:
    """One opened generation directory: its index and the commit it was last reloaded at."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index = tantivy.Index(SCHEMA, path=str(path), reuse=True)
        self.index.config_reader(reload_policy="Manual")
        self.meta_stamp = self._stamp()

    def _stamp(self) -> int:
        try:
            return (self.path / "meta.json").stat().st_mtime_ns
        except FileNotFoundError:
            return 0

    def refresh(self) -> None:
        """Reload when another process (or this one) committed since the last look."""
        stamp = self._stamp()
        if stamp != self.meta_stamp:
            self.index.reload()
            self.meta_stamp = stamp


class TantivyBackend:
    """SearchBackend on a Tantivy index directory (``tantivy:///path``)."""

    name = "tantivy"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.root = Path(path)
        self._lock = threading.RLock()
        self._current: _Generation | None = None

    # ---- generations --------------------------------------------------------------------
    def _pointer(self) -> str | None:
        try:
            return (self.root / POINTER).read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None

    def _versions(self) -> dict[str, str]:
        return {"analysis_version": str(ANALYSIS_VERSION), "schema_version": SCHEMA_VERSION}

    def _new_generation(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name[4:]) for p in self.root.glob("gen-*") if p.name[4:].isdigit()]
        path = self.root / f"gen-{max(numbers, default=0) + 1:06d}"
        path.mkdir()
        (path / "edoc.json").write_text(json.dumps(self._versions()), encoding="utf-8")
        tantivy.Index(SCHEMA, path=str(path), reuse=False)
        return path

    def _switch(self, path: Path) -> None:
        """Make ``path`` the live generation atomically; keep the one before (a reader may
        still be between reading the pointer and opening it), drop older ones."""
        temporary = self.root / f".{POINTER}.{os.getpid()}"
        temporary.write_text(path.name, encoding="ascii")
        os.replace(temporary, self.root / POINTER)
        with self._lock:
            self._current = None
        live = sorted(p for p in self.root.glob("gen-*") if p.is_dir())
        keep = {path.name}
        older = [p for p in live if p.name < path.name]
        if older:
            keep.add(older[-1].name)
        for stale in live:
            if stale.name not in keep:
                shutil.rmtree(stale, ignore_errors=True)

    def _generation(self) -> _Generation:
        """The live generation, reopened when the pointer moved and reloaded after commits."""
        name = self._pointer()
        if name is None:
            raise SearchUnavailable(f"Tantivy index at {self.root} is missing: run ensure_schema")
        with self._lock:
            current = self._current
            if current is None or current.path.name != name:
                path = self.root / name
                self._check_versions(path)
                try:
                    current = _Generation(path)
                except (ValueError, OSError) as exc:
                    raise SearchUnavailable(
                        f"Tantivy index {path} cannot be opened: {exc}"
                    ) from exc
                self._current = current
            else:
                current.refresh()
            return current

    def _check_versions(self, path: Path) -> None:
        try:
            stored = json.loads((path / "edoc.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            stored = {}
        for key, value in self._versions().items():
            if stored.get(key) != value:
                raise SchemaMismatch(
                    f"search index {key} is {stored.get(key)}, this code needs {value}: "
                    "reset and reindex"
                )

    # ---- schema -------------------------------------------------------------------------
    def built(self) -> bool:
        """Whether a live generation exists (ensure_schema would otherwise create an empty
        one: right for a new installation, wrong for one about to be rebuilt)."""
        name = self._pointer()
        return name is not None and (self.root / name).is_dir()

    def ensure_schema(self) -> None:
        name = self._pointer()
        if name is None or not (self.root / name).is_dir():
            self._switch(self._new_generation())
            return
        self._check_versions(self.root / name)

    def reset(self) -> None:
        self._switch(self._new_generation())

    # ---- writes -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _writer(self, generation: _Generation) -> Iterator[tantivy.IndexWriter]:
        """Tantivy's single writer: wait a little for another writer to finish, then give up
        (SearchUnavailable: the outbox keeps the change and retries)."""
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                writer = generation.index.writer(heap_size=WRITER_HEAP, num_threads=1)
                break
            except ValueError as exc:
                if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                    raise SearchUnavailable(f"Tantivy index is busy: {exc}") from exc
                time.sleep(0.05)
        try:
            yield writer
        except BaseException:
            writer.rollback()
            writer.wait_merging_threads()
            raise
        writer.commit()
        writer.wait_merging_threads()  # also releases the writer lock
        generation.refresh()

    def _next_orders(self, path: Path, days: Sequence[int]) -> list[int]:
        """Order keys (``day << 32 | sequence``): a counter kept in the generation, so a
        later write of the same day sorts after (ties go to the newer document)."""
        counter = path / "seq"
        try:
            seq = int(counter.read_text(encoding="ascii"))
        except (FileNotFoundError, ValueError):
            seq = 0
        orders = [(day << SEQ_BITS) | ((seq + i) % (1 << SEQ_BITS)) for i, day in enumerate(days)]
        counter.write_text(str(seq + len(days)), encoding="ascii")
        return orders

    def _write(
        self, generation: _Generation, writer: tantivy.IndexWriter, rows: list[dict[str, Any]]
    ) -> None:
        orders = self._next_orders(generation.path, [r["sort_day"] for r in rows])
        for row, order in zip(rows, orders, strict=True):
            writer.delete_documents_by_term("id", row["doc_id"])
            writer.add_document(_to_document(row, order))

    def index(self, docs: Iterable[IndexDocument]) -> int:
        rows = latest_rows(docs)
        if not rows:
            return 0
        generation = self._generation()
        with self._writer(generation) as writer:
            self._write(generation, writer, rows)
        return len(rows)

    def rebuild(self, docs: Iterable[IndexDocument], batch: int = 2000) -> int:
        """Fill a new generation, then switch to it: searches answer from the old one until
        then (never from an empty index)."""
        path = self._new_generation()
        generation = _Generation(path)
        count = 0
        pending: list[IndexDocument] = []
        with self._writer(generation) as writer:
            for doc in docs:
                pending.append(doc)
                if len(pending) >= batch:
                    rows = latest_rows(pending)
                    self._write(generation, writer, rows)
                    count += len(rows)
                    pending = []
            rows = latest_rows(pending)
            self._write(generation, writer, rows)
            count += len(rows)
        self._switch(path)
        return generation.index.searcher().num_docs if count else 0

    def delete(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(str(i) for i in ids))
        if not wanted:
            return 0
        generation = self._generation()
        searcher = generation.index.searcher()
        # not doc_freq: it still counts deleted documents until their segment is merged
        existing = [
            i
            for i in wanted
            if searcher.search(Query.term_query(SCHEMA, "id", i), 1, count=True).count
        ]
        if not existing:
            return 0
        with self._writer(generation) as writer:
            for doc_id in existing:
                writer.delete_documents_by_term("id", doc_id)
        return len(existing)

    def optimize(self) -> None:
        """Nothing to do: Tantivy merges segments in the background of the writer."""

    # ---- reads --------------------------------------------------------------------------
    def count(self) -> int:
        return int(self._generation().index.searcher().num_docs)

    def health(self) -> Health:
        return Health.by_counting(self.name, self.count)

    def close(self) -> None:
        with self._lock:
            self._current = None

    def search(self, query: SearchQuery) -> SearchResult:
        query.validate()
        parsed = parse_query(query.text)
        searcher = self._generation().index.searcher()
        offset = (query.page - 1) * query.per_page
        need = offset + query.per_page
        try:
            if parsed.empty or query.sort == "date":
                result = searcher.search(
                    build_query(query, parsed),
                    query.per_page,
                    count=True,
                    order_by_field="ord",
                    offset=offset,
                    order=Order.Desc,
                )
                page = [(0.0, address) for _, address in result.hits]
            else:
                result, page = self._ranked(searcher, query, parsed, offset, need)
            # the same matches without the scoring clauses: aggregating needs no score
            matches = build_query(dataclasses.replace(query, sort="date"), parsed)
            facets = self._facets(searcher, matches, query) if query.facets else {}
        except ValueError as exc:
            raise SearchError(f"Tantivy search failed: {exc}") from exc
        hits = [self._hit(searcher.doc(address), parsed, score) for score, address in page]
        return SearchResult(total=int(result.count), hits=hits, facets=facets)

    @staticmethod
    def _ranked(
        searcher: tantivy.Searcher,
        query: SearchQuery,
        parsed: ParsedQuery,
        offset: int,
        need: int,
    ) -> tuple[Any, list[tuple[float, Any]]]:
        """Two phases: every match ranked by BM25 + the head signals (short fields, cheap to
        read for every match), then the best RESCORE_WINDOW get the body signals added
        (``_body_signals``). Not exact: a match outside the window that has both body signals
        and a first-phase score within BODY_SIGNALS of the page's last can be missed; the bench's
        overlap@10 with the reference over all matches measures what that costs."""
        first = build_query(query, parsed, head_only=True)
        window = max(RESCORE_WINDOW, need + TIE_WINDOW)
        result = searcher.search(first, window, count=True, weight_by_field="prior")
        addresses = [address for _, address in result.hits]
        if not addresses:
            return result, []
        keys = searcher.fast_field_values("ord", addresses)
        priors = searcher.fast_field_values("prior", addresses)
        extra = _body_signals(searcher, parsed, addresses)
        scored = []
        for (score, address), key, prior, bonus in zip(
            result.hits, keys, priors, extra, strict=True
        ):
            if bonus:
                score += bonus * math.log2(2.0 + max(0.0, prior or 0.0))
            scored.append((score, key, address))
        scored.sort(key=lambda item: (-round(item[0], 5), -(item[1] or 0)))
        return result, [(score, address) for score, _, address in scored[offset:need]]

    @staticmethod
    def _facets(
        searcher: tantivy.Searcher, engine_query: Query, query: SearchQuery
    ) -> dict[str, dict[str, int]]:
        names = list(dict.fromkeys(query.facets))
        aggregations = {
            name: {"terms": {"field": name, "size": FACET_SIZE}}
            for name in names
            if name in FACET_FIELDS
        }
        answer = searcher.aggregate(engine_query, aggregations)
        out: dict[str, dict[str, int]] = {}
        for name in names:
            buckets = answer.get(name, {}).get("buckets", [])
            counts: dict[str, int] = {}
            for bucket in buckets:
                key = bucket["key"]
                label = str(int(key)) if isinstance(key, float | int) else str(key)
                counts[label] = counts.get(label, 0) + int(bucket["doc_count"])
            out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    @staticmethod
    def _hit(doc: tantivy.Document, parsed: ParsedQuery, score: float) -> Hit:
        marks: dict[str, str] = {}
        if not parsed.empty:
            for field, value in (
                ("subject", highlight(_text(doc, "subject"), parsed)),
                ("number_notation", highlight(_text(doc, "number_notation"), parsed)),
                ("body", snippet(_text(doc, "body_text"), parsed)),
            ):
                if value:
                    marks[field] = value
        return Hit(id=doc.get_first("id"), score=round(float(score), 4), highlights=marks)

    def suggest_numbers(
        self, prefix: str, max_secrecy: int, limit: int = 10
    ) -> list[NumberSuggestion]:
        tokens = number_key(prefix).split()
        if not tokens:
            return []
        words = [Query.term_query(SCHEMA, "numkey", t) for t in tokens[:-1]]
        words.append(Query.regex_query(SCHEMA, "numkey", _regex_literal(tokens[-1]) + ".*"))
        engine_query = _all([*words, *filter_query(SearchQuery(max_secrecy=max_secrecy))])
        searcher = self._generation().index.searcher()
        result = searcher.search(
            engine_query, max(1, min(limit, 100)), count=False, order_by_field="ord"
        )
        out = []
        for _, address in result.hits:
            doc = searcher.doc(address)
            out.append(
                NumberSuggestion(
                    id=doc.get_first("id"),
                    number_notation=_text(doc, "number_notation") or "",
                    subject=_text(doc, "subject") or "",
                )
            )
        return out


def _text(doc: tantivy.Document, field: str) -> str:
    value = doc.get_first(field)
    return bytes(value).decode() if value is not None else ""


def _regex_literal(token: str) -> str:
    """A token as a literal in Tantivy's regex syntax (tokens are letters and digits, but a
    regex must never see user syntax, whatever analysis becomes)."""
    return "".join(ch if ch.isalnum() else f"\\{ch}" for ch in token)
