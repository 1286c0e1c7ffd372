"""``POST /api/v1/integrations/documents``: another system sends a document into the clerk's
queue, once per key, through the clerk's own file checks."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from edoc.audit.models import AuditEvent
from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from tests.fixtures.app import bearer
from tests.fixtures.documents import count_documents
from tests.fixtures.hostile_pdfs import object_stream_bomb_pdf
from tests.fixtures.selfsigned import blank_pdf
from tests.fixtures.threads import in_parallel

PATH = "/api/v1/integrations/documents"
METADATA = {
    "sender_code": "000.00.12.H30",
    "number_notation": "45/STC-QLNS",
    "doc_type": "CV",
    "subject": "Về việc hướng dẫn thủ tục hành chính",
    "issued_date": "2026-01-05",
    "signer": "Nguyễn Văn Bình",
    "urgency": 1,
}


def send(
    client: FlaskClient,
    headers: dict[str, str],
    content: bytes,
    meta: dict[str, Any] | None = None,
    **form: str,
) -> TestResponse:
    data: dict[str, Any] = {"file": (io.BytesIO(content), "ho-so.pdf"), **form}
    if meta is not None:
        data["metadata"] = json.dumps(meta, ensure_ascii=False)
    return client.post(PATH, data=data, headers=headers, content_type="multipart/form-data")


@pytest.fixture
def clerk(client: FlaskClient, demo: None) -> dict[str, str]:
    """The clerk, with the sending agency in the directory (found by its organ code)."""
    added = client.post(
        "/api/v1/directory",
        json={"code": "000.00.12.H30", "name": "Sở Tài chính tỉnh Demo"},
        headers=bearer(client, "quantri"),
    )
    assert added.status_code == 201, added.get_json()
    return bearer(client, "vanthu")


def blobs(app: Flask) -> list[str]:
    with app.app_context():
        return [blob.sha256 for blob in blob_store().iter_blobs()]


def test_a_document_lands_in_the_clerks_queue_unregistered(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    response = send(client, clerk, blank_pdf("Ho so DVC"), METADATA)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "received" and body["arrival_number"] is None
    assert body["created"] is True
    assert body["signature_verdict"] == "no_signatures"  # checked like the clerk's upload
    document = client.get(f"/api/v1/documents/{body['id']}", headers=clerk).get_json()
    assert document["sender_org"] == "Sở Tài chính tỉnh Demo"  # from the directory's code
    assert document["subject"] == METADATA["subject"]
    assert document["number_notation"] == "45/STC-QLNS"
    assert document["urgency"] == 1
    queue = client.get("/api/v1/incoming?status=received", headers=clerk).get_json()
    assert [item["id"] for item in queue["items"]] == [body["id"]]
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "incoming.received", AuditEvent.object_id == str(body["id"])
            )
        )
        assert entry.details["source"] == "integration"
        assert entry.actor_name == "vanthu"


def test_form_fields_work_as_well_as_a_json_part(
    client: FlaskClient, clerk: dict[str, str]
) -> None:
    fields = {
        "sender_name": "Cổng dịch vụ công tỉnh",
        "doc_type": "CV",
        "subject": "Hồ sơ đề nghị cấp phép",
        "received_via": "paper",
        "issued_date": "05/01/2026",
    }
    response = send(client, clerk, blank_pdf(), **fields)
    assert response.status_code == 201, response.get_json()
    document = client.get(
        f"/api/v1/documents/{response.get_json()['id']}", headers=clerk
    ).get_json()
    assert document["sender_org"] == "Cổng dịch vụ công tỉnh"
    assert document["issued_date"] == "2026-01-05"


def test_a_repeated_call_returns_the_same_document(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    keyed = {**clerk, "Idempotency-Key": "dvc-2026-000123"}
    first = send(client, keyed, blank_pdf("A"), METADATA)
    again = send(client, keyed, blank_pdf("A"), METADATA)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["created"] is False
    by_reference = {**METADATA, "external_reference": "HS-0042"}
    third = send(client, clerk, blank_pdf("B"), by_reference)
    fourth = send(client, clerk, blank_pdf("B"), by_reference)
    assert (third.status_code, fourth.status_code) == (201, 200)
    assert fourth.get_json()["id"] == third.get_json()["id"] != first.get_json()["id"]
    assert fourth.get_json()["external_reference"] == "HS-0042"
    assert count_documents(app) == 2
    other_client = {**bearer(client, "lanhdao"), "Idempotency-Key": "dvc-2026-000123"}
    assert send(client, other_client, blank_pdf("A"), METADATA).status_code == 403


def test_concurrent_repeats_create_one_document(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    """The unique key decides, not a read before the write: the calls race past the look-up."""
    keyed = {**clerk, "Idempotency-Key": "race-1"}
    statuses: list[int] = []
    ids: set[int] = set()

    def call() -> None:
        response = send(app.test_client(), keyed, blank_pdf("R"), METADATA)
        statuses.append(response.status_code)
        ids.add(response.get_json()["id"])

    assert in_parallel(call, [()] * 4) == []
    assert sorted(statuses) == [200, 200, 200, 201]
    assert len(ids) == 1
    assert count_documents(app) == 1


def test_a_hostile_pdf_is_refused_and_nothing_stored(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    response = send(client, clerk, object_stream_bomb_pdf(4096), METADATA)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "decompression_bomb"
    not_pdf = send(client, clerk, b"PK\x03\x04 not a pdf", METADATA)
    assert not_pdf.get_json()["error"]["code"] == "not_pdf"
    assert count_documents(app) == 0
    assert blobs(app) == []


@pytest.mark.parametrize(
    ("metadata", "form", "field"),
    [
        (None, {}, "subject"),
        ({k: v for k, v in METADATA.items() if k != "subject"}, {}, "subject"),
        ({"doc_type": "CV", "subject": "x"}, {}, "sender_name"),
        (None, {"metadata": "not json"}, "metadata"),
        (None, {"metadata": "[1, 2]"}, "metadata"),
        ({**METADATA, "password": "x"}, {}, "metadata"),
        ({**METADATA, "secrecy": 9}, {}, "secrecy"),
    ],
)
def test_missing_or_bad_metadata_is_422(
    app: Flask,
    client: FlaskClient,
    clerk: dict[str, str],
    metadata: dict[str, Any] | None,
    form: dict[str, str],
    field: str,
) -> None:
    response = send(client, clerk, blank_pdf(), metadata, **form)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]["form"]
    assert count_documents(app) == 0


def test_unknown_codes_and_missing_file_are_422(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    unknown_sender = send(client, clerk, blank_pdf(), {**METADATA, "sender_code": "999.99.99.X99"})
    assert unknown_sender.status_code == 422
    assert unknown_sender.get_json()["error"]["code"] == "unknown_sender"
    unknown_type = send(client, clerk, blank_pdf(), {**METADATA, "doc_type": "XYZ"})
    assert unknown_type.status_code == 422
    assert "doc_type" in unknown_type.get_json()["error"]["details"]
    no_file = client.post(
        PATH,
        data={"metadata": json.dumps(METADATA)},
        headers=clerk,
        content_type="multipart/form-data",
    )
    assert no_file.status_code == 422
    assert no_file.get_json()["error"]["code"] == "file_required"
    assert count_documents(app) == 0


def test_only_clerks_send_documents_in(client: FlaskClient, demo: None) -> None:
    for username in ("chuyenvien", "quantri", "luutru"):
        response = send(client, bearer(client, username), blank_pdf(), METADATA)
        assert response.status_code == 403, username
    assert send(client, {}, blank_pdf(), METADATA).status_code == 401
