"""EDOC_CSC_REVOCATION: a CA that cannot be asked refuses the signature (hard, the default) or
lets it go ahead (soft, the demo); a CA's answer "revoked" refuses in both."""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edoc.config import ConfigError, Settings
from edoc.core.extensions import db
from edoc.remote_signing import services
from edoc.remote_signing.models import RemoteCredential
from signing import pki as labels
from signing.pki import DemoPKI
from tests.fixtures.app import bearer
from tests.fixtures.pki import Tokens
from tests.fixtures.remote_signing import (
    RemoteLeader,
    authorize,
    digests,
    leader_on_temporary_token,
)


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unreachable_ca_leader(
    csc_service: Flask, softhsm_tokens: Tokens, tmp_path: Path
) -> Iterator[RemoteLeader]:
    """The leader's key certified by a CA whose OCSP responder and CRL are out of reach (a
    PKI built with the address of a closed port), trusted alone by the app."""
    pki = DemoPKI.create(tmp_path / "pki", f"http://127.0.0.1:{_closed_port()}")
    trust = csc_service.config["EDOC"].data_dir / "trust"
    for label in (labels.ROOT, labels.ISSUING_CA):
        (trust / f"{label}.der").write_bytes(pki.cert_der(label))
    with leader_on_temporary_token(
        csc_service, softhsm_tokens, pki, "ngoai-tam", labels.LEADER
    ) as leader:
        yield leader


@pytest.fixture
def headers(csc_service: Flask, client: FlaskClient) -> dict[str, str]:
    return bearer(client, "lanhdao")


def _use_mode(app: Flask, mode: str) -> None:
    """``""``: the setting unset."""
    app.config["EDOC"] = dataclasses.replace(app.config["EDOC"], csc_revocation=mode)


def test_hard_refuses_when_the_ca_cannot_be_asked(
    csc_service: Flask,
    client: FlaskClient,
    headers: dict[str, str],
    unreachable_ca_leader: RemoteLeader,
) -> None:
    _use_mode(csc_service, "")  # unset: the HSM named by EDOC_CSC_HSM_MODULE, so hard
    leader = unreachable_ca_leader
    answer = authorize(client, headers, leader, leader.code(), digests("một"))
    assert answer.status_code == 503, answer.json
    assert answer.json["error"] == "revocation_unavailable"
    with csc_service.app_context():  # checked before the code: nothing counted or spent
        credential = db.session.get(RemoteCredential, leader.credential_pk)
        assert credential is not None
        assert credential.failed_attempts == 0 and credential.last_otp_step == 0


def test_soft_signs_when_the_ca_cannot_be_asked(
    csc_service: Flask,
    client: FlaskClient,
    headers: dict[str, str],
    unreachable_ca_leader: RemoteLeader,
) -> None:
    _use_mode(csc_service, "soft")
    leader = unreachable_ca_leader
    answer = authorize(client, headers, leader, leader.code(), digests("một"))
    assert answer.status_code == 200, answer.json
    assert answer.json["SAD"]


def test_the_setting_is_hard_unless_told_and_checked(tmp_path: Path) -> None:
    base = {"EDOC_DATA_DIR": str(tmp_path), "EDOC_SECRET_KEY": "x" * 40}
    assert Settings.from_env(base).csc_revocation == ""  # unset: hard (below)
    assert Settings.from_env({**base, "EDOC_CSC_REVOCATION": "Soft"}).csc_revocation == "soft"
    with pytest.raises(ConfigError):
        Settings.from_env({**base, "EDOC_CSC_REVOCATION": "maybe"})


def test_the_demo_hsm_file_makes_it_soft_unless_the_setting_says_hard(
    csc_service: Flask,
    client: FlaskClient,
    headers: dict[str, str],
    unreachable_ca_leader: RemoteLeader,
    softhsm_tokens: Tokens,
) -> None:
    """The demo writes its HSM file with ``revocation: soft`` (signing/REMOTE.md)."""
    config = csc_service.config["EDOC"]
    (config.data_dir / services.HSM_FILE).write_text(
        json.dumps({"module": softhsm_tokens.module, "revocation": "soft"}), "utf-8"
    )
    csc_service.config["EDOC"] = dataclasses.replace(config, csc_hsm_module="", csc_revocation="")
    leader = unreachable_ca_leader
    with csc_service.app_context():
        assert services.revocation_mode() == "soft"
    _use_mode(csc_service, "hard")
    refused = authorize(client, headers, leader, leader.code(), digests("một"))
    assert refused.status_code == 503 and refused.json["error"] == "revocation_unavailable"
    _use_mode(csc_service, "")
    answer = authorize(client, headers, leader, leader.code(), digests("một"))
    assert answer.status_code == 200, answer.json
