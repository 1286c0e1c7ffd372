"""A SeaweedFS S3 server per test session, and one store per backend for the contract suite."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from storage import BlobStore, open_store
from tests.fixtures.seaweed import SeaweedServer


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "filesystem":
        return open_store(f"file://{tmp_path / 'blobs'}")
    server: SeaweedServer = request.getfixturevalue("seaweed")
    # One bucket per session (each SeaweedFS bucket takes its own volumes), a prefix per test.
    return open_store(server.url(f"edoc-test/{uuid.uuid4().hex[:12]}"))
