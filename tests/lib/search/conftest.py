"""Backends for the search contract suite: SQLite (temp file), PostgreSQL, Elasticsearch.

Every contract test runs once per backend. The session loads the shared corpus once per
backend (``loaded``); tests that write get their own empty index (``empty``). PostgreSQL
tables and Elasticsearch indices carry a random per-session prefix and are dropped at the
end, because other test sessions share the same database.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from search import open_backend
from search.base import SearchBackend
from tests.lib.search import corpus

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql", "elasticsearch")
SESSION_TAG = secrets.token_hex(4)


def _sqlite(tmp: Path) -> tuple[Callable[[str], SearchBackend], Callable[[], None]]:
    engine = sa.create_engine(f"sqlite:///{tmp / 'search.db'}")

    def make(name: str) -> SearchBackend:
        return open_backend("db", engine=engine, table_prefix=f"search_{name}")

    return make, engine.dispose


def _postgres() -> tuple[Callable[[str], SearchBackend], Callable[[], None]]:
    url = os.environ.get("EDOC_TEST_DATABASE_URL", DEFAULT_PG_URL)
    engine = sa.create_engine(url)
    if engine.dialect.name != "postgresql":
        pytest.skip(f"EDOC_TEST_DATABASE_URL is {engine.dialect.name}, not PostgreSQL")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        engine.dispose()
        pytest.skip(f"PostgreSQL does not answer at {engine.url.render_as_string()}: {exc}")
    made: list[str] = []

    def make(name: str) -> SearchBackend:
        prefix = f"search_t{SESSION_TAG}_{name}"
        made.append(prefix)
        backend = open_backend("db", engine=engine, table_prefix=prefix)
        # windows this small make the contract corpus go through every read path: the
        # newest documents walked by order key, then more walked or the GIN bitmap
        backend.probe_rows, backend.walk_rows = 3, 6  # type: ignore[attr-defined]
        return backend

    def cleanup() -> None:
        with engine.begin() as conn:
            for prefix in made:
                for table in ("docs", "text", "meta"):
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {prefix}_{table}")
        engine.dispose()

    return make, cleanup


def _elasticsearch() -> tuple[Callable[[str], SearchBackend], Callable[[], None]]:
    url = os.environ.get("EDOC_TEST_ELASTICSEARCH_URL")
    if not url:
        pytest.skip(
            "EDOC_TEST_ELASTICSEARCH_URL is not set: no Elasticsearch cluster on this machine"
        )
    made: list[SearchBackend] = []

    def make(name: str) -> SearchBackend:
        sep = "&" if "?" in url else "?"
        backend = open_backend(f"{url}{sep}index=edoctest{SESSION_TAG}{name}")
        made.append(backend)
        return backend

    def cleanup() -> None:
        for backend in made:
            backend.drop()  # type: ignore[attr-defined]
            backend.close()

    return make, cleanup


@pytest.fixture(scope="session", params=BACKENDS)
def make_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], SearchBackend]]:
    """A factory of backends of one kind, each named (its own tables / index)."""
    kind = request.param
    if kind == "sqlite":
        make, cleanup = _sqlite(tmp_path_factory.mktemp("search"))
    elif kind == "postgresql":
        make, cleanup = _postgres()
    else:
        make, cleanup = _elasticsearch()
    try:
        yield make
    finally:
        cleanup()


@pytest.fixture(scope="session")
def loaded(make_backend: Callable[[str], SearchBackend]) -> SearchBackend:
    """The shared corpus, indexed once per backend; tests must not write to it."""
    backend = make_backend("corpus")
    backend.reset()
    assert backend.index(corpus.ALL) == len(corpus.ALL)
    return backend


@pytest.fixture
def empty(make_backend: Callable[[str], SearchBackend]) -> SearchBackend:
    """An empty index of its own, for tests that write."""
    backend = make_backend("scratch")
    backend.reset()
    return backend
