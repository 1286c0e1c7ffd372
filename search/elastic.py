"""Elasticsearch backend: the production search engine, through the official client.

Two analysers built from stock parts give the tokens of search.analysis; user text reaches only
``match`` clauses; a new index is filled before its alias is swapped. Every request body comes
from a pure function, tested without a cluster. Design: docs/search.md ("Elasticsearch").
"""

from __future__ import annotations

import html
import itertools
import re
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from search.analysis import (
    ANALYSIS_VERSION,
    ParsedQuery,
    Phrase,
    Term,
    number_key,
    number_tokens,
    parse_query,
)
from search.base import (
    KEYWORD_FILTERS,
    MAX_PAGE,
    MAX_PER_PAGE,
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

SCHEMA_VERSION = "1"
MAX_SECRECY_LEVEL = 3
COUNT_LIMIT = 10_000  # totals are exact up to this, as in the database backends
FACET_SIZE = 200
BULK_CHUNK = 500
MAX_SUGGESTIONS = 100

# Highlight markers the engine inserts: private-use characters, stripped from documents at
# index time, so we can HTML-escape the snippet ourselves and then put <mark> in their place.
# (Lucene's html encoder escapes differently across versions; this way every backend gives
# the same markup as search.highlight.)
MARK_START = "\ue000"
MARK_END = "\ue001"
_MARKERS = str.maketrans("", "", MARK_START + MARK_END)

# search fields, any of which a query word may match (as in the database backends)
MATCH_FIELDS = ("number", "subject", "meta", "body")
KEYWORD_FIELDS = KEYWORD_FILTERS
FACET_SOURCE = {
    "direction": "direction",
    "doc_type": "doc_type",
    "sender": "sender",
    "signer": "signer",
    "unit": "unit",
    "urgency": "urgency",
    "status": "status",
    "dossier": "dossier",
    "secrecy": "secrecy",
    "year": "year",
}
DATE_SORT: list[dict[str, Any]] = [{"sort_date": "desc"}, {"seq": "desc"}]


# ---- index definition ---------------------------------------------------------------------


def index_settings(*, shards: int = 1, replicas: int | None = None) -> dict[str, Any]:
    """Index settings with the Vietnamese analysers (no plugin needed)."""
    settings: dict[str, Any] = {
        "number_of_shards": shards,
        "max_result_window": MAX_PAGE * MAX_PER_PAGE,
        "analysis": {
            "char_filter": {
                "vi_d_stroke": {"type": "mapping", "mappings": ["đ => d", "Đ => D"]},
            },
            "tokenizer": {
                # split on everything that is not a letter or a digit, as search.analysis does
                "vi_words": {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"},
            },
            "filter": {
                "vi_max_length": {"type": "length", "max": 40},
                "vi_number": {
                    "type": "pattern_replace",
                    "pattern": "^0+([0-9]+)$",
                    "replacement": "$1",
                },
                "vi_fold": {"type": "asciifolding", "preserve_original": False},
            },
            "analyzer": {
                "vi_folded": {
                    "type": "custom",
                    "char_filter": ["vi_d_stroke"],
                    "tokenizer": "vi_words",
                    "filter": ["vi_max_length", "lowercase", "vi_fold", "vi_number"],
                },
                "vi_accented": {
                    "type": "custom",
                    "tokenizer": "vi_words",
                    "filter": ["vi_max_length", "lowercase", "vi_number"],
                },
                # already-analysed tokens (number_tokens): split on spaces only
                "vi_tokens": {
                    "type": "custom",
                    "tokenizer": "whitespace",
                    "filter": ["lowercase"],
                },
            },
        },
    }
    if replicas is not None:
        settings["number_of_replicas"] = replicas
    return settings


def _text_field(*, offsets: bool = False) -> dict[str, Any]:
    field: dict[str, Any] = {
        "type": "text",
        "analyzer": "vi_folded",
        "fields": {"accented": {"type": "text", "analyzer": "vi_accented"}},
    }
    if offsets:  # the highlighter reads offsets from the index instead of re-analysing
        field["index_options"] = "offsets"
    return field


def index_mappings() -> dict[str, Any]:
    """Field mappings; ``_meta`` records the analysis/schema versions (see ensure_schema)."""
    keyword = {"type": "keyword"}
    properties: dict[str, Any] = {
        "doc_id": keyword,
        "subject": _text_field(offsets=True),
        "body": _text_field(offsets=True),
        "meta": _text_field(),
        "number_notation": {
            "type": "text",
            "analyzer": "vi_folded",
            "index_options": "offsets",
            "fields": {"keyword": {"type": "keyword", "ignore_above": 256}},
        },
        "number": {
            "type": "text",
            "analyzer": "vi_tokens",
            "index_prefixes": {"min_chars": 1, "max_chars": 10},
        },
        "number_key": keyword,
        "secrecy": {"type": "byte"},
        "issued_date": {"type": "date", "format": "strict_date"},
        "arrival_date": {"type": "date", "format": "strict_date"},
        "created_at": {"type": "date"},
        "sort_date": {"type": "date", "format": "strict_date"},
        "year": {"type": "short"},
        "seq": {"type": "long"},
    }
    for name in KEYWORD_FIELDS:
        properties[name] = keyword
    return {
        "dynamic": "strict",
        "_meta": {"analysis_version": ANALYSIS_VERSION, "schema_version": SCHEMA_VERSION},
        "properties": properties,
    }


def template_body(index: str, *, shards: int = 1, replicas: int | None = None) -> dict[str, Any]:
    """The composable index template every ``{index}-docs-v*`` index is created from."""
    return {
        "index_patterns": [f"{index}-docs-v*"],
        "priority": 200,
        "template": {
            "settings": index_settings(shards=shards, replicas=replicas),
            "mappings": index_mappings(),
        },
        "_meta": {"analysis_version": ANALYSIS_VERSION, "schema_version": SCHEMA_VERSION},
    }


# ---- documents ------------------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    return unicodedata.normalize("NFC", text.replace("\x00", "")).translate(_MARKERS)


def document_source(doc: IndexDocument, seq: int) -> dict[str, Any]:
    """The ``_source`` of one document: NFC text, filter keywords, number tokens, dates.

    ``seq`` breaks ties between documents of the same date: higher is newer (indexed later).
    """
    if not doc.id:
        raise SearchError("document id must not be empty", code="invalid_document")
    if "\x00" in str(doc.id):
        raise SearchError("document id must not contain NUL", code="invalid_document")
    if not 0 <= int(doc.secrecy) <= MAX_SECRECY_LEVEL:
        raise SearchError(
            f"secrecy must be 0..{MAX_SECRECY_LEVEL}, got {doc.secrecy}", code="invalid_document"
        )
    keywords = {name: _clean(getattr(doc, name)) for name in KEYWORD_FIELDS}
    meta = " ".join(
        v for k in ("doc_type", "sender", "signer", "unit", "urgency") if (v := keywords[k])
    )
    sort_date = doc.sort_date
    return {
        "doc_id": str(doc.id),
        **keywords,
        "subject": _clean(doc.subject) or "",
        "body": _clean(doc.body) or "",
        "meta": meta,
        "number_notation": _clean(doc.number_notation),
        "number": number_key(doc.number_notation),
        "number_key": number_key(doc.number_notation),
        "secrecy": int(doc.secrecy),
        "issued_date": doc.issued_date.isoformat() if doc.issued_date else None,
        "arrival_date": doc.arrival_date.isoformat() if doc.arrival_date else None,
        "created_at": doc.created_at.isoformat() if doc.created_at else None,
        "sort_date": sort_date.isoformat(),
        "year": sort_date.year,
        "seq": seq,
    }


# ---- queries --------------------------------------------------------------------------------


def _clause_terms(clause: Term | Phrase) -> tuple[Term, ...]:
    return clause.terms if isinstance(clause, Phrase) else (clause,)


def _const(query: dict[str, Any], boost: float) -> dict[str, Any]:
    return {"constant_score": {"filter": query, "boost": round(boost, 6)}}


def _match(field: str, text: str) -> dict[str, Any]:
    return {"match": {field: {"query": text, "operator": "and"}}}


def _phrase(field: str, text: str) -> dict[str, Any]:
    return {"match_phrase": {field: {"query": text}}}


def _any_field(text: str, fields: Sequence[str], phrase: bool) -> dict[str, Any]:
    """``text`` (already-analysed words) in any one of ``fields``."""
    if phrase:
        return {"multi_match": {"query": text, "fields": list(fields), "type": "phrase"}}
    return {
        "multi_match": {
            "query": text,
            "fields": list(fields),
            "type": "best_fields",
            "operator": "and",
        }
    }


def match_clauses(parsed: ParsedQuery) -> list[dict[str, Any]]:
    """What a document must contain: every word (or quoted phrase) in some field."""
    out = []
    for clause in parsed.clauses:
        words = " ".join(t.folded for t in _clause_terms(clause))
        out.append(_any_field(words, MATCH_FIELDS, phrase=isinstance(clause, Phrase)))
    return out


def scoring_clauses(parsed: ParsedQuery) -> list[dict[str, Any]]:
    """Constant-score relevance signals, weighted like search.ranking.score."""
    terms = parsed.terms()
    if not terms:
        return []
    n = len(terms)
    folded = [t.folded for t in terms]
    accented = [t.accented for t in terms]
    out = [_const(_match("number", " ".join(dict.fromkeys(folded))), 50.0)]
    for term in dict.fromkeys(terms):
        weight = sum(1 for t in terms if t == term) / n
        out.append(_const(_match("subject", term.folded), 10.0 * weight))
        out.append(_const(_match("subject.accented", term.accented), 6.0 * weight))
        out.append(_const(_match("meta", term.folded), 3.0 * weight))
    if n > 1:
        out.append(_const(_phrase("subject", " ".join(folded)), 5.0))
        out.append(_const(_phrase("subject.accented", " ".join(accented)), 3.0))
        # the words as a phrase anywhere, body included (search.ranking.Found.PHRASE)
        out.append(_const(_any_field(" ".join(folded), MATCH_FIELDS, phrase=True), 10.0))
    for clause in parsed.clauses:
        if isinstance(clause, Phrase):
            out.append(_const(_phrase("subject", " ".join(t.folded for t in clause.terms)), 3.0))
    if folded != accented:
        # every word with its exact diacritics somewhere, or the whole query as typed in the
        # subject or metadata
        everywhere = {
            "bool": {
                "must": [
                    _any_field(
                        " ".join(t.accented for t in _clause_terms(c)),
                        ("subject.accented", "meta.accented", "body.accented"),
                        phrase=True,
                    )
                    for c in parsed.clauses
                ]
            }
        }
        head = _any_field(" ".join(accented), ("subject.accented", "meta.accented"), phrase=True)
        out.append(_const({"bool": {"should": [head, everywhere], "minimum_should_match": 1}}, 4))
    else:
        out.append(_const(_any_field(" ".join(folded), ("subject", "meta"), phrase=True), 4.0))
    return out


# BM25 over every match, at the Tantivy backend's weight and field boosts: it orders what the
# constant-score signals leave equal (search.tantivy_backend.BM25_WEIGHT says why so little).
BM25_WEIGHT = 0.05
BM25_FIELDS = ("number^1.5", "subject^1.5", "meta^1.2", "body")
BM25_PHRASE_FIELDS = ("subject^1.5", "meta^1.2", "body")


def bm25_clauses(parsed: ParsedQuery) -> list[dict[str, Any]]:
    """Each word (or quoted phrase) scored by BM25 on its best field: ``must`` clauses that
    match exactly what the ``filter`` clauses already require, so they only add score."""
    out = []
    for clause in parsed.clauses:
        words = " ".join(t.folded for t in _clause_terms(clause))
        phrase = isinstance(clause, Phrase)
        out.append(
            {
                "multi_match": {
                    "query": words,
                    "fields": list(BM25_PHRASE_FIELDS if phrase else BM25_FIELDS),
                    "type": "phrase" if phrase else "best_fields",
                    **({} if phrase else {"operator": "and"}),
                    "tie_breaker": 0.1,
                    "boost": BM25_WEIGHT,
                }
            }
        )
    return out


def filter_clauses(query: SearchQuery) -> list[dict[str, Any]]:
    """Clearance, exact filters and date range: always ``filter`` clauses of the bool query."""
    out: list[dict[str, Any]] = [{"range": {"secrecy": {"lte": max(0, int(query.max_secrecy))}}}]
    for name, values in query.filter_values().items():
        out.append({"terms": {name: [_clean(v) for v in values]}})
    dates: dict[str, str] = {}
    if query.date_from is not None:
        dates["gte"] = query.date_from.isoformat()
    if query.date_to is not None:
        dates["lte"] = query.date_to.isoformat()
    if dates:
        out.append({"range": {"sort_date": {**dates, "format": "strict_date"}}})
    return out


def highlight_body(parsed: ParsedQuery) -> dict[str, Any]:
    words = " ".join(parsed.folded_words())
    return {
        "pre_tags": [MARK_START],
        "post_tags": [MARK_END],
        "encoder": "default",  # we escape ourselves: see render_highlight
        "require_field_match": True,
        "highlight_query": {
            "bool": {
                "should": [
                    {"match": {f: {"query": words}}} for f in ("subject", "number_notation", "body")
                ]
            }
        },
        "fields": {
            "subject": {"number_of_fragments": 0},
            "number_notation": {"number_of_fragments": 0},
            "body": {"fragment_size": 220, "number_of_fragments": 1, "no_match_size": 0},
        },
    }


def query_body(query: SearchQuery, parsed: ParsedQuery | None = None) -> dict[str, Any]:
    """The ``_search`` body of a query: bool(filter=clearance+filters+words, should=signals)."""
    query.validate()
    if parsed is None:
        parsed = parse_query(query.text)
    bool_query: dict[str, Any] = {"filter": filter_clauses(query) + match_clauses(parsed)}
    by_relevance = query.sort == "relevance" and not parsed.empty
    if by_relevance:
        bool_query["must"] = bm25_clauses(parsed)
        bool_query["should"] = scoring_clauses(parsed)
    body: dict[str, Any] = {
        "query": {"bool": bool_query},
        "from": (query.page - 1) * query.per_page,
        "size": query.per_page,
        "sort": (["_score", *DATE_SORT] if by_relevance else list(DATE_SORT)),
        "track_total_hits": COUNT_LIMIT,
        "_source": False,
    }
    if not parsed.empty:
        body["highlight"] = highlight_body(parsed)
    if query.facets:
        body["aggs"] = {
            name: {"terms": {"field": FACET_SOURCE[name], "size": FACET_SIZE}}
            for name in dict.fromkeys(query.facets)
        }
    return body


def suggest_body(prefix: str, max_secrecy: int, limit: int = 10) -> dict[str, Any] | None:
    """Search-as-you-type on document numbers: earlier tokens exact, the last one a prefix.
    None when the prefix has no token (nothing to look up)."""
    toks = number_tokens(prefix)
    if not toks:
        return None
    return {
        "query": {
            "bool": {
                "filter": [
                    {"range": {"secrecy": {"lte": max(0, int(max_secrecy))}}},
                    {"match_bool_prefix": {"number": {"query": " ".join(toks), "operator": "and"}}},
                ]
            }
        },
        "size": max(1, min(int(limit), MAX_SUGGESTIONS)),
        "sort": list(DATE_SORT),
        "_source": ["doc_id", "number_notation", "subject"],
    }


def render_highlight(fragment: str) -> str:
    """An engine fragment with our markers → escaped HTML with ``<mark>``."""
    return html.escape(fragment).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def _bucket_key(key: Any) -> str:
    if isinstance(key, float) and key.is_integer():
        key = int(key)
    return str(key)


def parse_response(response: dict[str, Any], query: SearchQuery) -> SearchResult:
    """A ``_search`` response → SearchResult (pure: unit-testable)."""
    total_info = response.get("hits", {}).get("total", {"value": 0, "relation": "eq"})
    if isinstance(total_info, int):
        total, exact = total_info, True
    else:
        total, exact = int(total_info["value"]), total_info.get("relation", "eq") == "eq"
    hits = []
    for raw in response.get("hits", {}).get("hits", []):
        marks = {}
        for field, fragments in (raw.get("highlight") or {}).items():
            if fragments and MARK_START in fragments[0]:
                marks[field] = render_highlight(fragments[0])
        hits.append(
            Hit(id=raw["_id"], score=round(float(raw.get("_score") or 0.0), 4), highlights=marks)
        )
    facets: dict[str, dict[str, int]] = {}
    for name in dict.fromkeys(query.facets):
        buckets = response.get("aggregations", {}).get(name, {}).get("buckets", [])
        facets[name] = {_bucket_key(b["key"]): int(b["doc_count"]) for b in buckets}
    return SearchResult(total=total, hits=hits, facets=facets, total_exact=exact)


# ---- the backend --------------------------------------------------------------------------

_VERSION_RE = re.compile(r"-docs-v(\d+)$")


class ElasticsearchBackend:
    """SearchBackend on an Elasticsearch 8 cluster (``index`` names the alias prefix)."""

    name = "elasticsearch"

    def __init__(
        self,
        base_url: str,
        index: str = "edoc",
        client: Any = None,
        *,
        shards: int = 1,
        replicas: int | None = None,
        refresh: bool | str = "wait_for",
        **client_kwargs: Any,
    ) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.+-]*", index):
            raise ValueError(f"index must be a lowercase Elasticsearch name, got {index!r}")
        self.base_url = base_url
        self.prefix = index
        self.alias = f"{index}-docs"
        self.template = f"{index}-docs"
        self.shards = shards
        self.replicas = replicas
        # "wait_for": a document is searchable when index() returns (read-your-writes, as
        # the database backends); pass refresh=False for bulk loads that refresh at the end.
        self.refresh = refresh
        self._schema_checked = False
        self._seq = itertools.count()
        if client is None:
            # optional package: only installations that search with Elasticsearch need it
            from elasticsearch import Elasticsearch

            client_kwargs.setdefault("request_timeout", 10)
            client_kwargs.setdefault("retry_on_timeout", True)
            client = Elasticsearch(base_url, **client_kwargs)
            self._owns_client = True
        else:
            self._owns_client = False
        self.client = client

    # ---- plumbing -------------------------------------------------------------------------
    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        # optional packages (elasticsearch and its transport): only this backend needs them
        from elastic_transport import TransportError
        from elasticsearch import ApiError  # as above

        try:
            yield
        except ApiError as exc:
            status = getattr(exc.meta, "status", 0) or 0
            if status >= 500 or status == 429:
                raise SearchUnavailable(f"Elasticsearch {what}: {status} {exc.message}") from exc
            if status == 404 and "index_not_found" in str(exc.message or exc):
                raise SearchError(
                    f"Elasticsearch index {self.alias} is missing: run ensure_schema",
                    code="search_index_missing",
                ) from exc
            raise SearchError(
                f"Elasticsearch {what}: {status} {exc.message}", code="search_backend_error"
            ) from exc
        except TransportError as exc:  # connection refused, timeout, TLS …
            raise SearchUnavailable(f"Elasticsearch {what}: {exc}") from exc

    def _next_seq(self) -> int:
        # nanoseconds keep "indexed later = newer" across processes; the counter within one
        return time.time_ns() + next(self._seq)

    def _concrete_indices(self) -> dict[str, int]:
        """Concrete ``{index}-docs-v{n}`` indices and their n."""
        found = self.client.indices.get(
            index=f"{self.prefix}-docs-v*", allow_no_indices=True, expand_wildcards="all"
        )
        out = {}
        for name in found:
            m = _VERSION_RE.search(name)
            if m and name.startswith(f"{self.prefix}-docs-v"):
                out[name] = int(m.group(1))
        return out

    def _alias_targets(self) -> list[str]:
        if not self.client.indices.exists_alias(name=self.alias):
            return []
        return list(self.client.indices.get_alias(name=self.alias))

    def _put_template(self) -> None:
        body = template_body(self.prefix, shards=self.shards, replicas=self.replicas)
        self.client.indices.put_index_template(name=self.template, **body)

    def _create_index(self, name: str, *, exist_ok: bool = False) -> None:
        from elasticsearch import BadRequestError  # optional package, as above

        try:
            self.client.indices.create(
                index=name,
                settings=index_settings(shards=self.shards, replicas=self.replicas),
                mappings=index_mappings(),
            )
        except BadRequestError as exc:  # two workers starting at once both create v1
            if not (exist_ok and "resource_already_exists" in str(exc)):
                raise

    def _swap_alias(self, new: str) -> list[str]:
        """Point the alias at ``new`` atomically; returns the indices it left."""
        old = [i for i in self._alias_targets() if i != new]
        actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": self.alias}} for i in old]
        actions.append({"add": {"index": new, "alias": self.alias, "is_write_index": True}})
        self.client.indices.update_aliases(actions=actions)
        return old

    def _new_index(self) -> str:
        versions = self._concrete_indices()
        name = f"{self.prefix}-docs-v{max(versions.values(), default=0) + 1}"
        self._put_template()
        self._create_index(name)
        return name

    def _check_version(self) -> None:
        mappings = self.client.indices.get_mapping(index=self.alias)
        for name, body in mappings.items():
            meta = body.get("mappings", {}).get("_meta", {})
            wanted = {"analysis_version": ANALYSIS_VERSION, "schema_version": SCHEMA_VERSION}
            for key, value in wanted.items():
                if str(meta.get(key)) != str(value):
                    raise SchemaMismatch(
                        f"search index {name} has {key} {meta.get(key)}, this code needs "
                        f"{value}: reset and reindex"
                    )

    # ---- schema ---------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        with self._errors("ensure_schema"):
            self._put_template()
            if not self._alias_targets():
                versions = self._concrete_indices()
                if versions:  # an index without its alias (interrupted reset): adopt the newest
                    newest = max(versions, key=versions.__getitem__)
                else:
                    newest = f"{self.prefix}-docs-v1"
                    self._create_index(newest, exist_ok=True)
                self._swap_alias(newest)
            self._check_version()
        self._schema_checked = True

    def reset(self) -> None:
        """A new empty index behind the alias (one atomic swap); the old ones are deleted."""
        with self._errors("reset"):
            new = self._new_index()
            old = self._swap_alias(new)
            for name in old:
                self.client.indices.delete(index=name, ignore_unavailable=True)
            for name in self._concrete_indices():
                if name != new and name not in old:  # left over by an interrupted rebuild
                    self.client.indices.delete(index=name, ignore_unavailable=True)
        self._schema_checked = True

    def rebuild(self, docs: Iterable[IndexDocument]) -> int:
        """Zero-downtime reindex: fill a new index, then swap the alias and drop the old.

        Searches keep answering from the old index until the swap."""
        with self._errors("rebuild"):
            new = self._new_index()
            try:
                written = self._bulk_index(new, docs, refresh=False)
                self.client.indices.refresh(index=new)
            except BaseException:
                self.client.indices.delete(index=new, ignore_unavailable=True)
                raise
            old = self._swap_alias(new)
            for name in old:
                self.client.indices.delete(index=name, ignore_unavailable=True)
        self._schema_checked = True
        return written

    def drop(self) -> None:
        """Delete every index of this prefix, the alias and the template (tests, uninstall)."""
        with self._errors("drop"):
            for name in self._concrete_indices():
                self.client.indices.delete(index=name, ignore_unavailable=True)
            if self.client.indices.exists_index_template(name=self.template):
                self.client.indices.delete_index_template(name=self.template)
        self._schema_checked = False

    # ---- writes ---------------------------------------------------------------------------
    def _bulk(self, operations: list[dict[str, Any]], refresh: bool | str) -> list[dict[str, Any]]:
        response = self.client.bulk(operations=operations, refresh=refresh)
        items = [next(iter(item.values())) for item in response["items"]]
        failures = [i for i in items if i.get("status", 200) >= 300 and i.get("status") != 404]
        if failures:
            first = failures[0]
            status = int(first.get("status", 0))
            message = f"Elasticsearch bulk: {len(failures)} failed, first: {first.get('error')}"
            if status >= 500 or status == 429:
                raise SearchUnavailable(message)
            raise SearchError(message, code="search_backend_error")
        return items

    def _bulk_index(self, target: str, docs: Iterable[IndexDocument], refresh: bool | str) -> int:
        latest: dict[str, IndexDocument] = {}
        for doc in docs:
            latest[str(doc.id)] = doc
        written = 0
        batch = list(latest.values())
        for start in range(0, len(batch), BULK_CHUNK):
            operations: list[dict[str, Any]] = []
            for doc in batch[start : start + BULK_CHUNK]:
                source = document_source(doc, self._next_seq())
                operations.append({"index": {"_index": target, "_id": source["doc_id"]}})
                operations.append(source)
            written += len(self._bulk(operations, refresh))
        return written

    def index(self, docs: Iterable[IndexDocument]) -> int:
        if not self._schema_checked:
            self.ensure_schema()
        with self._errors("index"):
            return self._bulk_index(self.alias, docs, self.refresh)

    def delete(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(str(i) for i in ids))
        if not wanted:
            return 0
        removed = 0
        with self._errors("delete"):
            for start in range(0, len(wanted), BULK_CHUNK):
                operations = [
                    {"delete": {"_index": self.alias, "_id": i}}
                    for i in wanted[start : start + BULK_CHUNK]
                ]
                items = self._bulk(operations, self.refresh)
                removed += sum(1 for i in items if i.get("result") == "deleted")
        return removed

    # ---- reads ----------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        parsed = parse_query(query.text)
        body = query_body(query, parsed)
        with self._errors("search"):
            response = self.client.search(index=self.alias, **body)
        return parse_response(dict(response), query)

    def suggest_numbers(
        self, prefix: str, max_secrecy: int, limit: int = 10
    ) -> list[NumberSuggestion]:
        body = suggest_body(prefix, max_secrecy, limit)
        if body is None:
            return []
        with self._errors("suggest_numbers"):
            response = self.client.search(index=self.alias, **body)
        out = []
        for raw in response["hits"]["hits"]:
            source = raw.get("_source") or {}
            out.append(
                NumberSuggestion(
                    id=raw["_id"],
                    number_notation=source.get("number_notation") or "",
                    subject=source.get("subject") or "",
                )
            )
        return out

    def count(self) -> int:
        with self._errors("count"):
            return int(self.client.count(index=self.alias)["count"])

    def health(self) -> Health:
        try:
            with self._errors("health"):
                cluster = self.client.cluster.health(timeout="5s")
            status = cluster.get("status", "unknown")
            if status == "red":
                return Health(ok=False, backend=self.name, detail=f"cluster status {status}")
            documents = self.count()
        except Exception as exc:  # health never raises: it reports
            return Health(ok=False, backend=self.name, detail=f"{type(exc).__name__}: {exc}")
        return Health(ok=True, backend=self.name, documents=documents, detail=f"cluster {status}")

    def close(self) -> None:
        if self._owns_client:
            self.client.close()
