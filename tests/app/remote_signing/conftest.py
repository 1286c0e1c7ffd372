"""The agency's CSC service with the leader's key in SoftHSM2 (helpers: tests/fixtures)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.fixtures.pki import Tokens
from tests.fixtures.remote_signing import enable_service


@pytest.fixture
def csc_service(
    trusted_app: Flask,
    demo: None,
    softhsm_tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> Flask:
    enable_service(trusted_app, softhsm_tokens, monkeypatch)
    return trusted_app
