"""Receiving incoming documents through /api/v1 with real files, good and bad."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from edoc.core.extensions import db
from edoc.incoming.models import IncomingDocument
from tests.fixtures.app import api_token
from tests.fixtures.corpus import CORPUS_DIR
from tests.fixtures.documents import INCOMING_FIELDS, count_documents, post_incoming
from tests.fixtures.pdfs import pdf_text
from tests.fixtures.selfsigned import blank_pdf, make_signed_pdf


def test_paper_scan_is_registered_and_served_back(
    client: FlaskClient, clerk: dict[str, str]
) -> None:
    content = blank_pdf("Cong van 15/STC-NS")
    response = post_incoming(client, clerk, content)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["arrival_number"] == 1
    assert body["status"] == "registered"
    download = client.get(f"/api/v1/documents/{body['id']}/file", headers=clerk)
    assert download.status_code == 200
    assert download.data == content
    assert (
        client.get(f"/api/v1/documents/{body['id']}", headers=clerk).get_json()["page_count"] == 1
    )


def test_scanned_images_become_one_pdf(
    client: FlaskClient, clerk: dict[str, str], tmp_path: Path
) -> None:
    from PIL import Image

    pages = []
    for index in range(2):
        buffer = io.BytesIO()
        Image.new("RGB", (1654, 2339), "white").save(buffer, "JPEG", dpi=(200, 200))
        pages.append((io.BytesIO(buffer.getvalue()), f"trang-{index}.jpg"))
    response = client.post(
        "/api/v1/incoming",
        data={**INCOMING_FIELDS, "file": pages},
        headers=clerk,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    document = client.get(
        f"/api/v1/documents/{response.get_json()['id']}", headers=clerk
    ).get_json()
    assert document["page_count"] == 2
    assert document["files"][0]["content_type"] == "application/pdf"


def test_signed_pdf_with_trusted_signature(
    app: Flask, client: FlaskClient, clerk: dict[str, str], tmp_path: Path
) -> None:
    pdf, root = make_signed_pdf(tmp_path, "Trần Văn Bình")
    trust = app.config["EDOC"].data_dir / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    shutil.copy(root, trust / "root.pem")
    response = post_incoming(
        client, clerk, pdf.read_bytes(), received_via="electronic", signer_name=""
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["arrival_number"] == 1
    assert body["document"]["signer_name"] == "Trần Văn Bình"
    report = client.get(f"/api/v1/documents/{body['id']}/signatures", headers=clerk).get_json()
    assert report["verdict"] == "ok"


def test_broken_signature_is_held_then_returned(
    app: Flask, client: FlaskClient, clerk: dict[str, str], corpus_dir: Path
) -> None:
    sneaky = (
        corpus_dir / "signed" / "form-update-override-appearance-stream-sneaky.pdf"
    ).read_bytes()
    response = post_incoming(client, clerk, sneaky, received_via="electronic")
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "received"
    assert body["arrival_number"] is None
    doc_id = body["id"]
    refused = client.post(f"/api/v1/incoming/{doc_id}/register", json={}, headers=clerk)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "signature_not_valid"
    returned = client.post(
        f"/api/v1/incoming/{doc_id}/return",
        json={"reason": "Chữ ký số không hợp lệ"},
        headers=clerk,
    )
    assert returned.status_code == 200
    assert returned.get_json()["status"] == "returned"
    assert returned.get_json()["arrival_number"] is None
    # the sequence was not touched: the next document is number 1
    assert post_incoming(client, clerk, blank_pdf()).get_json()["arrival_number"] == 1


def _malformed() -> list[str]:
    folder = CORPUS_DIR / "malformed"
    return sorted(p.name for p in folder.glob("*.pdf")) if folder.is_dir() else []


@pytest.mark.parametrize("name", _malformed())
def test_malformed_corpus_upload(
    app: Flask, client: FlaskClient, clerk: dict[str, str], corpus_dir: Path, name: str
) -> None:
    """Refused with a precise 422 and nothing registered, or accepted as a readable unsigned PDF."""
    content = (corpus_dir / "malformed" / name).read_bytes()
    response = post_incoming(client, clerk, content, name=name, received_via="electronic")
    if response.status_code == 201:
        assert response.get_json()["document"]["signature_verdict"] == "no_signatures"
        return
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] in {"malformed_pdf", "encrypted_pdf", "not_pdf"}
    assert error["message"]
    assert count_documents(app) == 0


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"", "rong.pdf", "empty_file"),
        (b"PK\x03\x04 not a pdf at all", "gia-mao.pdf", "not_pdf"),
    ],
)
def test_bad_files_are_refused(
    app: Flask, client: FlaskClient, clerk: dict[str, str], content: bytes, name: str, code: str
) -> None:
    response = post_incoming(client, clerk, content, name=name, received_via="electronic")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == code
    assert count_documents(app) == 0


def test_missing_field_and_unknown_type(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    data = {k: v for k, v in INCOMING_FIELDS.items() if k != "subject"}
    missing = client.post(
        "/api/v1/incoming",
        data={**data, "file": (io.BytesIO(blank_pdf()), "a.pdf")},
        headers=clerk,
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422
    assert "subject" in missing.get_json()["error"]["details"]["form"]
    unknown = post_incoming(client, clerk, blank_pdf(), doc_type="XYZ")
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["details"] == {"doc_type": "Loại văn bản không hợp lệ: XYZ."}
    assert count_documents(app) == 0


def test_upload_over_the_limit(app: Flask, client: FlaskClient, clerk: dict[str, str]) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = post_incoming(client, clerk, b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "file_too_large"
    assert count_documents(app) == 0


def test_only_clerks_receive(client: FlaskClient, demo: None) -> None:
    specialist = {"Authorization": f"Bearer {api_token(client, 'chuyenvien')}"}
    response = post_incoming(client, specialist, blank_pdf())
    assert response.status_code == 403


def test_secret_documents_are_invisible_below_clearance(
    client: FlaskClient, clerk: dict[str, str]
) -> None:
    secret = post_incoming(
        client, clerk, blank_pdf(), secrecy="1", subject="Kế hoạch bảo vệ bí mật"
    ).get_json()
    open_doc = post_incoming(client, clerk, blank_pdf()).get_json()
    specialist = {"Authorization": f"Bearer {api_token(client, 'chuyenvien')}"}
    listing = client.get("/api/v1/incoming", headers=specialist).get_json()
    assert listing["total"] == 1
    assert [item["id"] for item in listing["items"]] == [open_doc["id"]]
    for path in ("", "/file", "/signatures"):
        assert (
            client.get(f"/api/v1/documents/{secret['id']}{path}", headers=specialist).status_code
            == 404
        )
    leader = {"Authorization": f"Bearer {api_token(client, 'lanhdao')}"}
    assert client.get("/api/v1/incoming", headers=leader).get_json()["total"] == 2


def test_route_and_complete(client: FlaskClient, clerk: dict[str, str], app: Flask) -> None:
    doc = post_incoming(client, clerk, blank_pdf()).get_json()
    leader = {"Authorization": f"Bearer {api_token(client, 'lanhdao')}"}
    specialist = {"Authorization": f"Bearer {api_token(client, 'chuyenvien')}"}
    me = client.get("/api/v1/me", headers=leader).get_json()
    assert (
        client.post(
            f"/api/v1/incoming/{doc['id']}/present", json={"leader_id": me["id"]}, headers=clerk
        ).status_code
        == 200
    )
    specialist_id = client.get("/api/v1/me", headers=specialist).get_json()["id"]
    routed = client.post(
        f"/api/v1/incoming/{doc['id']}/route",
        json={
            "direction": "Giao Phòng Tổng hợp tham mưu",
            "lead_user_id": specialist_id,
            "deadline": "2099-12-31",
        },
        headers=leader,
    )
    assert routed.status_code == 200, routed.get_json()
    assert routed.get_json()["status"] == "routed"
    tasks = client.get("/api/v1/tasks", headers=specialist).get_json()
    assert [t["document_id"] for t in tasks] == [doc["id"]]
    done = client.post(
        f"/api/v1/tasks/{tasks[0]['id']}/progress",
        json={"text": "Đã tham mưu văn bản trả lời", "done": True},
        headers=specialist,
    )
    assert done.status_code == 200
    assert (
        client.get(f"/api/v1/documents/{doc['id']}", headers=clerk).get_json()["status"] == "done"
    )
    not_mine = client.post(
        f"/api/v1/tasks/{tasks[0]['id']}/progress", json={"text": "x"}, headers=clerk
    )
    assert not_mine.status_code in {403, 409}


def test_register_pdf_and_xlsx(client: FlaskClient, clerk: dict[str, str], tmp_path: Path) -> None:
    post_incoming(client, clerk, blank_pdf(), subject="Về việc phòng chống cơn bão số 3")
    post_incoming(
        client, clerk, blank_pdf(), subject="Về việc tổng kết năm", sender_org="Sở Nội vụ"
    )
    pdf = client.get(
        "/api/v1/incoming/register?from=2000-01-01&to=2099-12-31&format=pdf", headers=clerk
    )
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data, layout=True)
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in text
    assert "phòng chống cơn bão số 3" in text
    assert "Sở Nội vụ" in text
    xlsx = client.get(
        "/api/v1/incoming/register?from=2000-01-01&to=2099-12-31&format=xlsx", headers=clerk
    )
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r and r[0] == "Ngày đến"))
    assert rows[header][:3] == ("Ngày đến", "Số đến", "Tác giả")
    assert [r[1] for r in rows[header + 1 :]] == ["1", "2"]


def test_storage_outage_gives_503_and_registers_nothing(
    app: Flask, client: FlaskClient, clerk: dict[str, str], tmp_path: Path
) -> None:
    from edoc.blobs.service import blob_store
    from storage import open_store
    from tests.fixtures.seaweed import SeaweedServer

    server = SeaweedServer(tmp_path / "weed")
    server.start()
    with app.app_context():
        app.extensions["edoc.blobstore"] = open_store(server.url("edoc-outage"))
        blob_store().check()
    server.stop()
    try:
        response = post_incoming(client, clerk, blank_pdf())
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "storage_unavailable"
        assert count_documents(app) == 0
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["storage"] == "down"
        server.start()
        assert post_incoming(client, clerk, blank_pdf()).get_json()["arrival_number"] == 1
    finally:
        server.stop()


def test_tracking_register_flags_overdue(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    from datetime import date

    from tests.fixtures.app import login

    leader = {"Authorization": f"Bearer {api_token(client, 'lanhdao')}"}
    units = client.get("/api/v1/units", headers=leader).get_json()
    late, on_time = (post_incoming(client, clerk, blank_pdf()).get_json()["id"] for _ in range(2))
    for doc_id in (late, on_time):
        routed = client.post(
            f"/api/v1/incoming/{doc_id}/route",
            json={"direction": "Xử lý", "lead_unit_id": units[0]["id"], "deadline": "2099-01-01"},
            headers=leader,
        )
        assert routed.status_code == 200
    with app.app_context():
        db.session.get(IncomingDocument, late).deadline = date(2020, 1, 1)
        db.session.commit()
    login(client, "vanthu")
    page = client.get("/incoming/tracking").get_data(as_text=True)
    assert page.count('data-overdue="yes"') == 1
    assert page.count('data-overdue="no"') == 1
    assert "Quá hạn" in page
