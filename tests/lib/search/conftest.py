"""Backends for the search contract suite: SQLite (temp file), PostgreSQL, Tantivy (temp
directory), Elasticsearch.

Every contract test runs once per backend. The session loads the shared corpus once per
backend (``loaded``); tests that write get their own empty index (``empty``). PostgreSQL
tables and Elasticsearch indices carry a random per-session prefix and are dropped at the
end, because other test sessions share the same database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from search.base import SearchBackend
from tests.fixtures.search_backends import (
    elasticsearch_backends,
    postgres_backends,
    sqlite_backends,
    tantivy_backends,
)
from tests.lib.search import corpus

BACKENDS = ("sqlite", "postgresql", "tantivy", "elasticsearch")


@pytest.fixture(scope="session", params=BACKENDS)
def make_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], SearchBackend]]:
    """A factory of backends of one kind, each named (its own tables / index)."""
    kind = request.param
    if kind == "sqlite":
        make, cleanup = sqlite_backends(tmp_path_factory.mktemp("search"))
    elif kind == "postgresql":
        make, cleanup = postgres_backends()
    elif kind == "tantivy":
        make, cleanup = tantivy_backends(tmp_path_factory.mktemp("tantivy"))
    else:
        make, cleanup = elasticsearch_backends()
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
