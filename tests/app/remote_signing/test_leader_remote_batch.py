"""The leader signs a batch of drafts with a remote key: one OTP for every draft, the results
signed with the ND30 appearance and validated before they count; the clerk then issues them."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edoc.audit.models import AuditEvent
from edoc.core.extensions import db
from edoc.outgoing.models import SigningRequest
from tests.fixtures.app import bearer
from tests.fixtures.documents import leader_id, submitted_draft
from tests.fixtures.pki import Tokens
from tests.fixtures.remote_signing import give_credential


@pytest.fixture
def drafts(csc_service: Flask, client: FlaskClient) -> list[int]:
    drafter = bearer(client, "chuyenvien")
    signer_id = leader_id(client)
    return [submitted_draft(client, drafter, f"Quyết định số {n}", signer_id) for n in (1, 2, 3)]


def test_three_drafts_signed_with_one_code(
    csc_service: Flask,
    client: FlaskClient,
    drafts: list[int],
    agency_token: Tokens,
) -> None:
    leader = bearer(client, "lanhdao")
    remote = give_credential(csc_service)
    listed = client.get("/api/v1/remote-signing/credentials", headers=leader).get_json()
    assert [c["credential_id"] for c in listed] == [remote.credential_id]
    answer = client.post(
        "/api/v1/outgoing/sign/remote",
        json={"document_ids": drafts, "credential": remote.credential_pk, "otp": remote.code()},
        headers=leader,
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"signed": drafts, "failed": {}}
    for document_id in drafts:
        report = client.get(f"/api/v1/documents/{document_id}/signatures", headers=leader)
        body = report.get_json()
        assert body["verdict"] == "ok"
        assert body["signatures"][0]["signer_name"] == "Nguyễn Văn An"
    with csc_service.app_context():
        authorised = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "remote_signing.authorized")
        ).all()
        assert len(authorised) == 1 and authorised[0].details["num_signatures"] == 3
        batch = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "remote_signing.batch_signed")
        ).one()
        assert batch.details["credential"] == remote.credential_id
    clerk = bearer(client, "vanthu")
    issued = client.post("/api/v1/outgoing/issue", json={"document_ids": drafts}, headers=clerk)
    assert issued.status_code == 200, issued.get_json()
    assert [i["id"] for i in issued.get_json()["issued"]] == drafts


def test_a_wrong_code_signs_nothing(
    csc_service: Flask, client: FlaskClient, drafts: list[int]
) -> None:
    leader = bearer(client, "lanhdao")
    remote = give_credential(csc_service)
    wrong = f"{(int(remote.code()) + 1) % 1_000_000:06d}"
    answer = client.post(
        "/api/v1/outgoing/sign/remote",
        json={"document_ids": drafts, "credential": remote.credential_pk, "otp": wrong},
        headers=leader,
    )
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "invalid_otp"
    listing = client.get("/api/v1/outgoing?status=signed", headers=leader).get_json()
    assert listing["items"] == []
    with csc_service.app_context():
        statuses = db.session.scalars(db.select(SigningRequest.status)).all()
        assert "signed" not in statuses


def test_someone_elses_credential_is_not_found(
    csc_service: Flask, client: FlaskClient, drafts: list[int]
) -> None:
    remote = give_credential(csc_service)
    clerk = bearer(client, "vanthu")
    answer = client.post(
        "/api/v1/outgoing/sign/remote",
        json={"document_ids": drafts, "credential": remote.credential_pk, "otp": remote.code()},
        headers=clerk,
    )
    assert answer.status_code == 403
