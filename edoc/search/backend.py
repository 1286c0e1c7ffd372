"""The app's search engine: opened once per app, its schema made sure of once it answers.

The look-ups both the indexer and the searches need live here, below both, so neither imports
the other.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import Engine, create_engine, event

from edoc.core.extensions import db
from search import SearchBackend, SearchError, SearchUnavailable, open_backend
from search.base import SchemaMismatch

log = logging.getLogger(__name__)

_BACKEND = "edoc.search"
_SCHEMA_CHECKED = "edoc.search.schema"


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
    """Whether the index was built by another version of edoc (other tokens or tables) and
    must be rebuilt; False when it is current or the engine does not answer (the outbox
    keeps the changes until it does)."""
    db.session.commit()  # end the read: SQLite's writer lock must be free for the engine
    try:
        search_backend(check_schema=False).ensure_schema()
    except SchemaMismatch as exc:
        log.warning("the search index must be rebuilt: %s", exc)
        return True
    except SearchError as exc:  # down or misconfigured: search reports it, migrations go on
        log.warning("search index not checked: %s", exc)
        return False
    return False


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
