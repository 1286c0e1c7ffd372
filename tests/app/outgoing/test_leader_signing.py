"""The leader signs drafts through the agent protocol: prepare on the server, sign on the token
(what edoc-signer does), finish on the server, and the result validates."""

from __future__ import annotations

import base64
import io

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from edoc.core.extensions import db
from edoc.outgoing.services import add_version
from edoc.users.models import User
from signing import pki as labels
from signing.batch import DigestItem, sign_digests
from signing.tokens import CertificateSelector, select_certificate
from tests.fixtures.app import api_token
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.pki import Tokens


def _draft(client: FlaskClient, headers: dict[str, str], subject: str, leader_id: int) -> int:
    created = client.post(
        "/api/v1/outgoing",
        data={
            "doc_type": "QĐ",
            "subject": subject,
            "recipients": "Các sở, ban, ngành\nLưu: VT",
            "authority_prefix": "KT.",
            "file": (io.BytesIO(draft_pdf("QUYET DINH")), "du-thao.pdf"),
        },
        headers=headers,
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.get_json()
    document_id = created.get_json()["id"]
    submitted = client.post(
        f"/api/v1/outgoing/{document_id}/submit", json={"signer_id": leader_id}, headers=headers
    )
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "submitted"
    return document_id


def test_two_drafts_signed_in_one_batch(
    trusted_app: Flask, client: FlaskClient, demo: None, softhsm_tokens: Tokens
) -> None:
    drafter = {"Authorization": f"Bearer {api_token(client, 'chuyenvien')}"}
    leader = {"Authorization": f"Bearer {api_token(client, 'lanhdao')}"}
    leader_id = client.get("/api/v1/me", headers=leader).get_json()["id"]
    ids = [_draft(client, drafter, f"Quyết định số {n}", leader_id) for n in (1, 2)]

    selector = CertificateSelector(token_label=softhsm_tokens.leader_label, label=labels.LEADER)
    _token, found = select_certificate(softhsm_tokens.module, selector)
    certificate = found.der
    prepared = client.post(
        "/api/v1/outgoing/sign/prepare",
        json={"document_ids": ids, "certificate": base64.b64encode(certificate).decode()},
        headers=leader,
    )
    assert prepared.status_code == 200, prepared.get_json()
    items = prepared.get_json()["items"]
    assert [i["document_id"] for i in items] == ids

    batch = sign_digests(
        softhsm_tokens.module,
        selector,
        [DigestItem(i["id"], base64.b64decode(i["digest"])) for i in items],
        softhsm_tokens.leader_pin,
    )
    assert batch.error is None
    finished = client.post(
        "/api/v1/outgoing/sign/finish",
        json={"signatures": {k: base64.b64encode(v).decode() for k, v in batch.signatures.items()}},
        headers=leader,
    )
    assert finished.get_json() == {"signed": ids, "failed": {}}
    for document_id in ids:
        report = client.get(
            f"/api/v1/documents/{document_id}/signatures", headers=leader
        ).get_json()
        assert report["verdict"] == "ok"
        assert report["signatures"][0]["signer_name"] == "Nguyễn Văn An"
        listing = client.get("/api/v1/outgoing?status=signed", headers=leader).get_json()
        assert document_id in [item["id"] for item in listing["items"]]


def test_a_bad_signature_never_becomes_the_file(
    trusted_app: Flask, client: FlaskClient, demo: None, softhsm_tokens: Tokens
) -> None:
    drafter = {"Authorization": f"Bearer {api_token(client, 'chuyenvien')}"}
    leader = {"Authorization": f"Bearer {api_token(client, 'lanhdao')}"}
    leader_id = client.get("/api/v1/me", headers=leader).get_json()["id"]
    document_id = _draft(client, drafter, "Quyết định thử chữ ký giả", leader_id)
    _token, found = select_certificate(
        softhsm_tokens.module,
        CertificateSelector(token_label=softhsm_tokens.leader_label, label=labels.LEADER),
    )
    certificate = found.der
    items = client.post(
        "/api/v1/outgoing/sign/prepare",
        json={"document_ids": [document_id], "certificate": base64.b64encode(certificate).decode()},
        headers=leader,
    ).get_json()["items"]
    forged = {items[0]["id"]: base64.b64encode(b"\x00" * 256).decode()}
    finished = client.post(
        "/api/v1/outgoing/sign/finish", json={"signatures": forged}, headers=leader
    ).get_json()
    assert finished["signed"] == []
    assert items[0]["id"] in finished["failed"]
    document = client.get(f"/api/v1/documents/{document_id}", headers=leader).get_json()
    assert document["status"] == "submitted"
    assert document["files"] == []


def test_only_the_designated_leader_prepares(
    trusted_app: Flask, client: FlaskClient, demo: None
) -> None:
    drafter = {"Authorization": f"Bearer {api_token(client, 'chuyenvien')}"}
    response = client.post(
        "/api/v1/outgoing/sign/prepare",
        json={"document_ids": [1], "certificate": "AA=="},
        headers=drafter,
    )
    assert response.status_code == 403


def test_a_draft_revised_between_prepare_and_finish_is_not_signed(
    trusted_app: Flask, client: FlaskClient, demo: None, softhsm_tokens: Tokens
) -> None:
    """Embedding and validating run with no transaction open: what was prepared must still be
    the text waiting for this leader when the signature is written."""
    drafter = {"Authorization": f"Bearer {api_token(client, 'chuyenvien')}"}
    leader = {"Authorization": f"Bearer {api_token(client, 'lanhdao')}"}
    leader_id = client.get("/api/v1/me", headers=leader).get_json()["id"]
    document_id = _draft(client, drafter, "Quyết định sửa giữa chừng", leader_id)
    selector = CertificateSelector(token_label=softhsm_tokens.leader_label, label=labels.LEADER)
    _token, found = select_certificate(softhsm_tokens.module, selector)
    items = client.post(
        "/api/v1/outgoing/sign/prepare",
        json={"document_ids": [document_id], "certificate": base64.b64encode(found.der).decode()},
        headers=leader,
    ).get_json()["items"]
    with trusted_app.app_context():
        drafter_user = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        upload = FileStorage(io.BytesIO(draft_pdf("QUYET DINH SUA")), "du-thao-2.pdf")
        add_version(document_id, upload, drafter_user, note="Sửa Điều 2")
        db.session.commit()  # services flush; their caller commits
    batch = sign_digests(
        softhsm_tokens.module,
        selector,
        [DigestItem(i["id"], base64.b64decode(i["digest"])) for i in items],
        softhsm_tokens.leader_pin,
    )
    finished = client.post(
        "/api/v1/outgoing/sign/finish",
        json={"signatures": {k: base64.b64encode(v).decode() for k, v in batch.signatures.items()}},
        headers=leader,
    ).get_json()
    assert finished["signed"] == []
    assert "vừa được cập nhật" in finished["failed"][items[0]["id"]]
    document = client.get(f"/api/v1/documents/{document_id}", headers=drafter).get_json()
    assert document["status"] == "draft"
    assert document["files"] == []
