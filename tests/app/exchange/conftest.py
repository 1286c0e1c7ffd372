from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from signing.pki import DemoPKI
from tests.fixtures.exchange import (
    Installation,
    exchange_tokens,  # noqa: F401  (a fixture)
    peer_pair,
)
from tests.fixtures.pki import Tokens


@pytest.fixture
def pair(
    app: Flask,
    tmp_path: Path,
    softhsm_tokens: Tokens,
    exchange_tokens: dict[str, str],  # noqa: F811
    demo_pki: DemoPKI,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Installation]]:
    """The province (the test's ``app``) and the finance department, peers of each other."""
    monkeypatch.delenv("EDOC_AGENCY_TOKEN_MODULE", raising=False)
    yield from peer_pair(app, tmp_path, softhsm_tokens, exchange_tokens, demo_pki)
