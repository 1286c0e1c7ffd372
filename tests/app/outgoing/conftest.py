"""Outgoing tests use the demo PKI and SoftHSM2 tokens (tests/fixtures/pki.py)."""

import pytest
from flask import Flask

from signing import pki as labels
from signing.pki import DemoPKI
from tests.fixtures.pki import Tokens


@pytest.fixture
def trusted_app(app: Flask, demo_pki: DemoPKI) -> Flask:
    """The app trusting the demo PKI's root and issuing CA."""
    trust = app.config["EDOC"].data_dir / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    for label in (labels.ROOT, labels.ISSUING_CA):
        (trust / f"{label}.der").write_bytes(demo_pki.cert_der(label))
    return app


@pytest.fixture
def agency_token(monkeypatch: pytest.MonkeyPatch, softhsm_tokens: Tokens) -> Tokens:
    """The server-side agency token the issue step seals with."""
    monkeypatch.setenv("EDOC_AGENCY_TOKEN_MODULE", softhsm_tokens.module)
    monkeypatch.setenv("EDOC_AGENCY_TOKEN_LABEL", softhsm_tokens.agency_label)
    monkeypatch.setenv("EDOC_AGENCY_TOKEN_CERT_LABEL", labels.AGENCY)
    monkeypatch.setenv("EDOC_AGENCY_TOKEN_PIN", softhsm_tokens.agency_pin)
    return softhsm_tokens
