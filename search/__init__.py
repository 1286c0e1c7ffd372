"""edoc's search library: Vietnamese-aware full-text search behind one small Protocol.

Never imports edoc, signing or storage. The application hands plain ``IndexDocument`` values
to a backend chosen by URL and gets ids, highlights and counts back::

    backend = open_backend("db", engine=engine)          # SQLite FTS5 or PostgreSQL, by dialect
    backend = open_backend("http://es:9200?index=edoc")   # Elasticsearch
    backend = open_backend("tantivy:///var/lib/edoc/search")  # an embedded Tantivy index

Design and measurements: docs/search.md.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlparse

from search.base import (
    FACET_FIELDS,
    KEYWORD_FILTERS,
    SECRECY_MAT,
    SECRECY_NONE,
    SECRECY_TOI_MAT,
    SECRECY_TUYET_MAT,
    Health,
    Hit,
    IndexDocument,
    InvalidQuery,
    NumberSuggestion,
    SchemaMismatch,
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    UnsupportedBackend,
)
from search.elastic import ElasticsearchBackend
from search.postgres import PostgresBackend
from search.sqlite import SQLiteBackend
from search.tantivy_backend import TantivyBackend

__all__ = [
    "FACET_FIELDS",
    "KEYWORD_FILTERS",
    "SECRECY_MAT",
    "SECRECY_NONE",
    "SECRECY_TOI_MAT",
    "SECRECY_TUYET_MAT",
    "Health",
    "Hit",
    "IndexDocument",
    "InvalidQuery",
    "NumberSuggestion",
    "SchemaMismatch",
    "SearchBackend",
    "SearchError",
    "SearchQuery",
    "SearchResult",
    "SearchUnavailable",
    "UnsupportedBackend",
    "open_backend",
]


def open_backend(url: str, **kw: Any) -> SearchBackend:
    """The backend a URL names.

    * ``db`` — the application's own database: pass ``engine=`` (a SQLAlchemy Engine or
      Connection); SQLite gets FTS5, PostgreSQL gets tsvector/GIN. ``sqlite`` and
      ``postgresql`` force one. Optional ``table_prefix=`` (default ``search``).
    * ``http://host:9200`` / ``https://…`` — Elasticsearch; ``?index=NAME`` sets the alias
      prefix (default ``edoc``); extra keywords (``api_key=``, ``basic_auth=``,
      ``ca_certs=``, ``client=``) go to the client.
    * ``tantivy:///absolute/path`` — an embedded Tantivy index in that directory (created
      by ``ensure_schema``); ``tantivy://relative/path`` is relative to the working directory.
    """
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme in {"http", "https"}:
        options = dict(parse_qsl(parsed.query))
        base_url = f"{parsed.scheme}://{parsed.netloc}{parsed.path}".rstrip("/")
        return ElasticsearchBackend(base_url, index=options.get("index", "edoc"), **kw)
    if scheme == "tantivy":
        path = f"{parsed.netloc}{parsed.path}"
        if not path:
            raise UnsupportedBackend(f"search URL {url!r} names no directory")
        return TantivyBackend(path)
    kind = url.lower().rstrip(":/")
    if kind in {"db", "sqlite", "postgresql", "postgres"}:
        bind = kw.pop("engine", None)
        if bind is None:
            raise UnsupportedBackend(f"search URL {url!r} needs engine= (SQLAlchemy)")
        dialect = bind.dialect.name
        if kind != "db" and not dialect.startswith(kind[:6]):
            raise UnsupportedBackend(f"search URL {url!r} but the engine is {dialect}")
        if dialect == "sqlite":
            return SQLiteBackend(bind, **kw)
        if dialect == "postgresql":
            return PostgresBackend(bind, **kw)
        raise UnsupportedBackend(f"no database search backend for dialect {dialect!r}")
    raise UnsupportedBackend(
        f"unknown search URL {url!r}: expected db, sqlite, postgresql, tantivy:///path or http(s)://…"
    )
