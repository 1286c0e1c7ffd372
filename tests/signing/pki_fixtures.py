"""Session fixtures for signing tests: the demo PKI served on loopback and SoftHSM2 tokens.

Imported by tests/signing/conftest.py. Real components only: certomancer's Animator serves OCSP,
CRLs and the TSA over HTTP; the tokens are SoftHSM2 tokens in a temporary directory, filled with
``softhsm2-util``/``pkcs11-tool`` and used through python-pkcs11 like a USB token.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from signing import pki as demo
from signing.pki import DemoPKI, start_demo_pki
from signing.softhsm import SoftHSM

LEADER_TOKEN = "lanh-dao"
AGENCY_TOKEN = "van-thu"
LEADER_PIN = "123456"
AGENCY_PIN = "654321"
SO_PIN = "12345678"

# which demo certificates go on which token (key ID = index + 1)
LEADER_TOKEN_CERTS = (demo.LEADER, demo.EXPIRED, demo.NOT_YET_VALID, demo.WRONG_USAGE)
AGENCY_TOKEN_CERTS = (demo.AGENCY, demo.CLERK)


@dataclass(frozen=True)
class Tokens:
    """The session's SoftHSM store and what is on it."""

    hsm: SoftHSM
    module: str
    leader_label: str = LEADER_TOKEN
    agency_label: str = AGENCY_TOKEN
    leader_pin: str = LEADER_PIN
    agency_pin: str = AGENCY_PIN


def fill_token(hsm: SoftHSM, pki: DemoPKI, label: str, pin: str, certs: tuple[str, ...]) -> None:
    entries = [(c, pki.key_path(c).read_bytes(), pki.cert_der(c)) for c in certs]
    hsm.create_token_with_keys(label, pin, SO_PIN, entries)


@pytest.fixture(scope="session")
def demo_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoPKI]:
    """The demo PKI (root, issuing CA, leader/agency/expired/… certs) with OCSP, CRL and TSA
    served by certomancer on a free loopback port for the whole session."""
    with start_demo_pki(tmp_path_factory.mktemp("pki")) as pki:
        yield pki


@pytest.fixture(scope="session")
def softhsm_tokens(tmp_path_factory: pytest.TempPathFactory, demo_pki: DemoPKI) -> Tokens:
    """A SoftHSM2 store with two tokens: the leader's (leader + expired + not-yet-valid +
    wrong-usage certificates) and the clerk's agency token (agency seal key + clerk)."""
    hsm = SoftHSM.create(tmp_path_factory.mktemp("softhsm"))
    fill_token(hsm, demo_pki, LEADER_TOKEN, LEADER_PIN, LEADER_TOKEN_CERTS)
    fill_token(hsm, demo_pki, AGENCY_TOKEN, AGENCY_PIN, AGENCY_TOKEN_CERTS)
    hsm.activate()
    return Tokens(hsm=hsm, module=hsm.module_path)


def reinitialize_library(module: str) -> None:
    """Make the loaded module rescan its store (new or deleted tokens); closes all sessions."""
    import pkcs11

    pkcs11.lib(module).reinitialize()


@pytest.fixture
def removable_token(softhsm_tokens: Tokens, demo_pki: DemoPKI) -> Iterator[str]:
    """A fresh token with the leader's key that a test may pull out (delete its files);
    the module is re-initialised afterwards so later tests see a consistent store."""
    import uuid

    label = f"rut-ra-{uuid.uuid4().hex[:6]}"
    fill_token(softhsm_tokens.hsm, demo_pki, label, LEADER_PIN, (demo.LEADER,))
    reinitialize_library(softhsm_tokens.module)
    yield label
    reinitialize_library(softhsm_tokens.module)


def pki_dir(pki: DemoPKI) -> Path:
    return pki.directory
