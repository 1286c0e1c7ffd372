"""The app's search engine: opened once per app, its schema made sure of once it answers.

The look-ups both the indexer and the searches need live here, below both, so neither imports
the other.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import SQLAlchemyError

from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.outgoing.access import unissued_condition
from search import SearchBackend, SearchError, SearchUnavailable, open_backend
from search.base import SchemaMismatch

log = logging.getLogger(__name__)

_BACKEND = "edoc.search"
_SCHEMA_CHECKED = "edoc.search.schema"
_READER = "edoc.search.reader"


def search_backend(*, check_schema: bool = True) -> SearchBackend:
    """The app's backend, opened once; its schema is made sure of once the engine answers.

    An index built by another version of edoc (SchemaMismatch) is treated as an outage:
    search answers from the database and changes wait in the outbox until ``edoc db
    upgrade`` (or ``edoc reindex``) rebuilds it. ``check_schema=False`` is for the rebuild.
    """
    backend = current_app.extensions.get(_BACKEND)
    if backend is None:
        settings = current_app.config["EDOC"]
        url = settings.search_url
        if url == "db":
            backend = open_backend(url, engine=_search_engine())
        elif url == "tantivy":  # the embedded index, beside the database in the data directory
            backend = open_backend(f"tantivy://{settings.data_dir / 'search'}")
        else:
            backend = open_backend(url)
        current_app.extensions[_BACKEND] = backend
    if check_schema and not current_app.extensions.get(_SCHEMA_CHECKED):
        if _unbuilt(backend) and _documents_exist():
            # an installation moving to this engine: no empty live index while `edoc db
            # upgrade` builds it; search answers from the database meanwhile
            raise SearchUnavailable("search index not built yet (edoc db upgrade or reindex)")
        try:
            backend.ensure_schema()
        except SearchUnavailable as exc:  # every later call reports the outage itself
            log.warning("search engine unavailable, schema not checked: %s", exc)
        except SchemaMismatch as exc:
            log.error("search index needs a rebuild (edoc db upgrade or edoc reindex): %s", exc)
            raise SearchUnavailable(str(exc)) from exc
        else:
            schema_current()
    return backend


def schema_current() -> None:
    """The index was just (re)built by this version: no need to check its schema again."""
    current_app.extensions[_SCHEMA_CHECKED] = True


def index_outdated() -> bool:
    """Whether the index must be rebuilt: built by another version of edoc (other tokens or
    tables), or not built / empty while documents exist (a newly configured engine, e.g. the
    move from the database's full text to Tantivy); False when it is current or the engine
    does not answer (the outbox keeps the changes until it does)."""
    db.session.commit()  # end the read: SQLite's writer lock must be free for the engine
    documents = _documents_exist()
    try:
        backend = search_backend(check_schema=False)
        if _unbuilt(backend) and documents:
            # ensure_schema would make an empty live index: answers with nothing until rebuilt
            return True
        backend.ensure_schema()
        empty = documents and backend.count() == 0
    except SchemaMismatch as exc:
        log.warning("the search index must be rebuilt: %s", exc)
        return True
    except SearchError as exc:  # down or misconfigured: search reports it, migrations go on
        log.warning("search index not checked: %s", exc)
        return False
    if empty:  # e.g. a new engine configured on an installation with documents
        log.warning("the search index is empty while documents exist: rebuilding it")
    return empty


def prepare_new_index() -> None:
    """At start-up: an index that does not exist yet (Tantivy) is created empty when the
    database holds no document (a new installation: its documents are indexed as they come).
    With documents it is left to ``edoc db upgrade``, and search answers degraded until then.
    Nothing happens when the database is not migrated yet or the engine does not answer."""
    try:
        backend = search_backend(check_schema=False)
        if _unbuilt(backend) and not _documents_exist():
            backend.ensure_schema()
    except (SearchError, SQLAlchemyError) as exc:
        log.info("search index not prepared at start-up: %s", exc)


def _unbuilt(backend: SearchBackend) -> bool:
    """Whether an engine that builds its index aside and switches to it (Tantivy) has none
    yet."""
    built = getattr(backend, "built", None)
    return built is not None and not built()


def _documents_exist() -> bool:
    """Whether the database holds a document the index should hold (what reindex reads).

    On a connection of its own: the callers hold no session transaction (outside_transaction),
    and on SQLite the reader takes no lock."""
    reader = current_app.extensions.get(_READER)
    if reader is None:
        reader = current_app.extensions[_READER] = _search_engine()
    statement = select(Document.id).where(~unissued_condition()).limit(1)
    with reader.connect() as connection:
        return connection.execute(statement).first() is not None


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
