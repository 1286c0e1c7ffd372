"""Fixtures shared by every test area.

Library suites (tests/storage, tests/signing, tests/search) use only what is here; the
application fixtures live in tests/app_fixtures.py and are loaded as a plugin.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from edoc.jobs.queue import huey
from tests.storage.seaweed import SeaweedServer

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The shared read-only PDF corpus (a fresh clone has none: tests using it skip).
CORPUS_DIR = Path(os.environ.get("EDOC_TEST_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))

# Background tasks run inline in tests: the same task code, executed by Huey immediately.
huey.immediate = True

pytest_plugins = ["tests.app_fixtures", "tests.signing.pki_fixtures"]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared read-only PDF corpus; tests using it skip when a fresh clone lacks it."""
    if not (CORPUS_DIR / "README.md").is_file():
        pytest.skip(f"test corpus not found at {CORPUS_DIR} (set EDOC_TEST_CORPUS)")
    return CORPUS_DIR


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedServer]:
    """A real SeaweedFS S3 server for the whole session (see tests/storage/seaweed.py)."""
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    yield server
    server.stop()
