"""Fixtures shared by every test area, the library suites included: nothing here imports
``edoc`` (tests/test_architecture.py checks it). The application fixtures live in
tests/fixtures/app.py and are loaded by tests/app/conftest.py and tests/browser/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.corpus import CORPUS_DIR
from tests.fixtures.seaweed import SeaweedServer

pytest_plugins = ["tests.fixtures.pki"]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared read-only PDF corpus; tests using it skip when a fresh clone lacks it."""
    if not (CORPUS_DIR / "README.md").is_file():
        pytest.skip(f"test corpus not found at {CORPUS_DIR} (set EDOC_TEST_CORPUS)")
    return CORPUS_DIR


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """A real SeaweedFS S3 server for the whole session (see tests/fixtures/seaweed.py)."""
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    yield server
    server.stop()
