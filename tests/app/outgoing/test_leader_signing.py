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
from edoc.documents.models import Document
from edoc.outgoing.services import add_version
from edoc.users.models import User
from signing import pki as labels
from signing.batch import DigestItem, sign_digests
from signing.tokens import CertificateSelector, select_certificate
from tests.fixtures.app import bearer
from tests.fixtures.documents import (
    finish_signing,
    leader_id,
    post_draft,
    prepare_signing,
    submitted_draft,
)
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.pki import Tokens


def test_two_drafts_signed_in_one_batch(
    trusted_app: Flask, client: FlaskClient, demo: None, softhsm_tokens: Tokens
) -> None:
    drafter = bearer(client, "chuyenvien")
    leader = bearer(client, "lanhdao")
    signer_id = leader_id(client)
    ids = [submitted_draft(client, drafter, f"Quyết định số {n}", signer_id) for n in (1, 2)]

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
    drafter = bearer(client, "chuyenvien")
    leader = bearer(client, "lanhdao")
    document_id = submitted_draft(client, drafter, "Quyết định thử chữ ký giả", leader_id(client))
    items = prepare_signing(client, leader, softhsm_tokens, [document_id])
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
    drafter = bearer(client, "chuyenvien")
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
    drafter = bearer(client, "chuyenvien")
    leader = bearer(client, "lanhdao")
    document_id = submitted_draft(client, drafter, "Quyết định sửa giữa chừng", leader_id(client))
    items = prepare_signing(client, leader, softhsm_tokens, [document_id])
    with trusted_app.app_context():
        drafter_user = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        upload = FileStorage(io.BytesIO(draft_pdf("QUYET DINH SUA")), "du-thao-2.pdf")
        add_version(document_id, upload, drafter_user, note="Sửa Điều 2")
        db.session.commit()  # services flush; their caller commits
    finished = finish_signing(client, leader, softhsm_tokens, items)
    assert finished["signed"] == []
    assert "vừa được cập nhật" in finished["failed"][items[0]["id"]]
    document = client.get(f"/api/v1/documents/{document_id}", headers=drafter).get_json()
    assert document["status"] == "draft"
    assert document["files"] == []


def test_the_title_signed_under_is_kept_once_signed(
    trusted_app: Flask, client: FlaskClient, demo: None, softhsm_tokens: Tokens
) -> None:
    """Until signed a draft stores only a title its drafter typed; the title the signature
    printed (here the leader's own) is written down when it is signed, for edXML's Position."""
    drafter = bearer(client, "chuyenvien")
    leader = bearer(client, "lanhdao")
    created = post_draft(
        client, drafter, draft_pdf("QUYET DINH"), doc_type="QĐ", subject="Quyết định chủ tịch ký"
    )
    document_id = created.get_json()["id"]
    url = f"/api/v1/outgoing/{document_id}/submit"
    assert (
        client.post(url, json={"signer_id": leader_id(client)}, headers=drafter).status_code == 200
    )
    with trusted_app.app_context():
        assert db.session.get(Document, document_id).signer_title == ""
        own = db.session.scalar(select(User.title).where(User.username == "lanhdao"))
    items = prepare_signing(client, leader, softhsm_tokens, [document_id])
    assert finish_signing(client, leader, softhsm_tokens, items)["signed"] == [document_id]
    with trusted_app.app_context():
        assert db.session.get(Document, document_id).signer_title == own
