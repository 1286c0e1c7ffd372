"""What the agency's CSC service refuses, and that each refusal leaves nothing usable behind."""

from __future__ import annotations

import base64
import dataclasses
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edoc.audit.models import AuditEvent
from edoc.core.extensions import db
from edoc.remote_signing.models import RemoteCredential
from signing import pki as labels
from signing.pki import DemoPKI
from tests.fixtures.app import bearer
from tests.fixtures.pki import Tokens
from tests.fixtures.remote_signing import (
    SHA256,
    RemoteLeader,
    authorize,
    digests,
    give_credential,
    leader_on_temporary_token,
)

SHA256_RSA = "1.2.840.113549.1.1.11"


def sign_hash(
    client: FlaskClient, headers: dict[str, str], leader: RemoteLeader, sad: str, hashes: list[str]
) -> Any:
    return client.post(
        "/csc/v2/signatures/signHash",
        json={
            "credentialID": leader.credential_id,
            "SAD": sad,
            "hashes": hashes,
            "hashAlgorithmOID": SHA256,
            "signAlgo": SHA256_RSA,
        },
        headers=headers,
    )


@pytest.fixture
def leader(csc_service: Flask) -> RemoteLeader:
    return give_credential(csc_service)


@pytest.fixture
def headers(csc_service: Flask, client: FlaskClient) -> dict[str, str]:
    return bearer(client, "lanhdao")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_signs_exactly_what_was_authorised(
    client: FlaskClient, headers: dict[str, str], leader: RemoteLeader
) -> None:
    hashes = digests("một", "hai")
    answer = authorize(client, headers, leader, leader.code(), hashes)
    assert answer.status_code == 200, answer.json
    assert 0 < answer.json["expiresIn"] <= 300
    signed = sign_hash(client, headers, leader, answer.json["SAD"], hashes)
    assert signed.status_code == 200, signed.json
    assert len(signed.json["signatures"]) == 2


def test_wrong_codes_are_counted_then_the_credential_locks(
    csc_service: Flask, client: FlaskClient, headers: dict[str, str], leader: RemoteLeader
) -> None:
    hashes = digests("một")
    first = authorize(client, headers, leader, wrong(leader.code()), hashes)
    assert first.status_code == 401
    assert first.json["error"] == "invalid_otp"
    assert "còn 2 lần" in first.json["error_description"]
    authorize(client, headers, leader, wrong(leader.code()), hashes)
    third = authorize(client, headers, leader, wrong(leader.code()), hashes)
    assert third.status_code == 403 and third.json["error"] == "credential_locked"
    # locked: even the right code is refused now, and nothing was authorised
    right = authorize(client, headers, leader, leader.code(), hashes)
    assert right.status_code == 403 and right.json["error"] == "credential_locked"
    with csc_service.app_context():
        credential = db.session.get(RemoteCredential, leader.credential_pk)
        assert credential is not None and credential.locked and credential.failed_attempts == 3
        events = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "remote_signing.otp_refused")
        ).all()
        assert len(events) == 3
        assert all(e.details["credential"] == leader.credential_id for e in events)
        logged = " ".join(str(e.details) for e in events)
        assert leader.code() not in logged and wrong(leader.code()) not in logged


def test_a_sad_is_single_use(
    client: FlaskClient, headers: dict[str, str], leader: RemoteLeader
) -> None:
    hashes = digests("một")
    sad = authorize(client, headers, leader, leader.code(), hashes).json["SAD"]
    assert sign_hash(client, headers, leader, sad, hashes).status_code == 200
    again = sign_hash(client, headers, leader, sad, hashes)
    assert again.status_code == 400 and again.json["error"] == "sad_replayed"


def test_a_hash_not_authorised_is_refused_and_spends_nothing(
    client: FlaskClient, headers: dict[str, str], leader: RemoteLeader
) -> None:
    sad = authorize(client, headers, leader, leader.code(), digests("một")).json["SAD"]
    other = sign_hash(client, headers, leader, sad, digests("một", "khác"))
    assert other.status_code == 400 and other.json["error"] == "too_many_hashes"
    swapped = sign_hash(client, headers, leader, sad, digests("khác"))
    assert swapped.status_code == 400 and swapped.json["error"] == "hash_not_authorised"
    # the refusals did not spend the SAD: the authorised hash still signs
    assert sign_hash(client, headers, leader, sad, digests("một")).status_code == 200


def test_an_altered_sad_is_refused(
    client: FlaskClient, headers: dict[str, str], leader: RemoteLeader
) -> None:
    sad = authorize(client, headers, leader, leader.code(), digests("một")).json["SAD"]
    prefix, body, seal = sad.split(".")
    padded = body + "=" * (-len(body) % 4)
    widened = (
        base64.urlsafe_b64decode(padded)
        .decode()
        .replace('"n":1', '"n":2')
        .replace('"h":[', f'"h":["{digests("khác")[0]}",')
    )
    forged_body = base64.urlsafe_b64encode(widened.encode()).decode().rstrip("=")
    forged = f"{prefix}.{forged_body}.{seal}"
    answer = sign_hash(client, headers, leader, forged, digests("khác"))
    assert answer.status_code == 400 and answer.json["error"] == "sad_invalid"


def test_an_expired_sad_is_refused(
    client: FlaskClient,
    headers: dict[str, str],
    leader: RemoteLeader,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sad = authorize(client, headers, leader, leader.code(), digests("một")).json["SAD"]
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    answer = sign_hash(client, headers, leader, sad, digests("một"))
    assert answer.status_code == 400 and answer.json["error"] == "sad_expired"


def test_another_leader_cannot_use_the_credential(
    csc_service: Flask, client: FlaskClient, leader: RemoteLeader
) -> None:
    clerk = bearer(client, "vanthu")
    answer = authorize(client, clerk, leader, leader.code(), digests("một"))
    assert answer.status_code == 403


def test_an_expired_certificate_is_refused_before_the_code_is_checked(
    csc_service: Flask, client: FlaskClient, headers: dict[str, str], leader: RemoteLeader
) -> None:
    with csc_service.app_context():  # the HSM object now holds an expired certificate
        credential = db.session.get(RemoteCredential, leader.credential_pk)
        assert credential is not None
        credential.cert_label = labels.EXPIRED
        db.session.commit()
    answer = authorize(client, headers, leader, wrong(leader.code()), digests("một"))
    assert answer.status_code == 403 and answer.json["error"] == "certificate_expired"
    with csc_service.app_context():
        credential = db.session.get(RemoteCredential, leader.credential_pk)
        assert credential is not None and credential.failed_attempts == 0


def test_a_revoked_certificate_is_refused(
    csc_service: Flask,
    client: FlaskClient,
    headers: dict[str, str],
    softhsm_tokens: Tokens,
    demo_pki: DemoPKI,
) -> None:
    with leader_on_temporary_token(
        csc_service, softhsm_tokens, demo_pki, "thu-hoi", labels.REVOKED
    ) as leader:
        answer = authorize(client, headers, leader, leader.code(), digests("một"))
    assert answer.status_code == 403 and answer.json["error"] == "certificate_revoked"


def test_the_service_is_closed_unless_configured_and_wants_https(
    csc_service: Flask, client: FlaskClient
) -> None:
    settings = csc_service.config["EDOC"]
    csc_service.config["EDOC"] = dataclasses.replace(settings, csc_require_https=True)
    assert client.post("/csc/v2/info").status_code == 403
    assert client.post("/csc/v2/info", base_url="https://localhost").status_code == 200
    forwarded = {"X-Forwarded-Proto": "https"}
    assert client.post("/csc/v2/info", headers=forwarded).status_code == 403  # no proxy trusted
    csc_service.config["EDOC"] = dataclasses.replace(
        settings, csc_require_https=True, trusted_proxies=1
    )
    assert client.post("/csc/v2/info", headers=forwarded).status_code == 200
    csc_service.config["EDOC"] = dataclasses.replace(settings, csc_service=False)
    assert client.post("/csc/v2/info", base_url="https://localhost").status_code == 404


def test_a_batch_of_a_hundred_is_one_authorisation(
    client: FlaskClient, headers: dict[str, str], leader: RemoteLeader
) -> None:
    hashes = digests(*(f"văn bản {n}" for n in range(100)))
    sad = authorize(client, headers, leader, leader.code(), hashes).json["SAD"]
    signed = sign_hash(client, headers, leader, sad, hashes)
    assert signed.status_code == 200, signed.json
    assert len(signed.json["signatures"]) == 100
