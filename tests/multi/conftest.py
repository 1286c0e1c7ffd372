"""Several real edoc installations, each a set of processes of its own (tests/fixtures/
installations.py), on SQLite files or on PostgreSQL schemas of their own.

Every test here is ``slow`` (``make test-fast`` skips them): an installation takes tens of seconds
to set up. Tests that can share installations ask for ``shared_installations`` (one set per
module) and leave them as they found them running.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures.app import _postgres_url, _with_search_path
from tests.fixtures.installations import Agency, Installations

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", params=["mixed"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Where the installations keep their records: ``mixed`` (the default) puts every other
    installation on PostgreSQL and the rest on SQLite files, as in a province where the hub runs
    on a server and small agencies on the embedded database, so each test crosses both in one
    run; ``sqlite`` or ``postgresql`` (indirect parametrisation) put all on one. Without a
    PostgreSQL server, ``mixed`` is all SQLite and ``postgresql`` skips."""
    if request.param == "postgresql" and _postgres_url() is None:
        pytest.skip("PostgreSQL does not answer at 127.0.0.1:5432 (set EDOC_TEST_DATABASE_URL)")
    return str(request.param)


@contextmanager
def installations_under(root: Path, database_kind: str) -> Iterator[Installations]:
    """A factory of installations under ``root``: all stopped (and their PostgreSQL schemas
    dropped) on the way out."""
    schemas: list[str] = []
    server_url = _postgres_url() if database_kind in {"postgresql", "mixed"} else None
    database_url_for: Callable[[Agency], str | None] | None = None
    if server_url is not None:
        admin = create_engine(server_url)

        made = itertools.count()

        def database_url_for(agency: Agency) -> str | None:
            if database_kind == "mixed" and next(made) % 2:
                return None  # on SQLite
            schema = f"edoc_multi_{os.getpid()}_{agency.key}_{uuid.uuid4().hex[:6]}"
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            schemas.append(schema)
            return _with_search_path(server_url, schema)

    factory = Installations(root, database_url_for)
    try:
        yield factory
    finally:
        factory.stop_all()
        if server_url is not None:
            with admin.begin() as connection:
                for schema in schemas:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture
def installations(tmp_path: Path, database_kind: str) -> Iterator[Installations]:
    """Installations for one test: ``installations.make(DISTRICT)`` sets one up and starts it."""
    with installations_under(tmp_path, database_kind) as factory:
        yield factory


@pytest.fixture(scope="module")
def shared_installations(
    tmp_path_factory: pytest.TempPathFactory, database_kind: str
) -> Iterator[Installations]:
    """Installations shared by a module's tests (set up once, stopped after the last test)."""
    with installations_under(tmp_path_factory.mktemp("installations"), database_kind) as factory:
        yield factory
