"""A draft is seen only by its readers: its drafter, the reviewers of the drafting unit, the
chosen signer, and clerks once it is signed (edoc.outgoing.access). Everyone else gets the 404
of a document that does not exist, for every action, through the pages and the API, and finds
no trace of it in lists, counts, the dashboard or search."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edoc.audit.models import AuditEvent
from edoc.audit.services import Operator
from edoc.core.extensions import db
from edoc.outgoing.models import DraftVersion, ReviewComment
from edoc.users.models import Clearance, Role, Unit
from edoc.users.services import create_user
from tests.fixtures.app import api_token, csrf_token_from, login
from tests.fixtures.documents import sign_drafts
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.pki import Tokens

SUBJECT = "Tờ trình phương án sắp xếp đơn vị hành chính cấp xã"
MISSING = 999_999


@pytest.fixture
def people(app: Flask, demo: None) -> None:
    """Besides the demo's: a colleague of the drafter (Phòng Tổng hợp), a specialist and a
    leader of another unit (Phòng Kinh tế), a cleared drafter and an uncleared colleague."""
    with app.app_context():
        units = {u.code: u.id for u in db.session.scalars(select(Unit))}
        for username, role, unit, clearance in (
            ("dongnghiep", Role.SPECIALIST, "TH", Clearance.NONE),
            ("truongphong", Role.LEADER, "TH", Clearance.NONE),
            ("chuyenvienkt", Role.SPECIALIST, "KT", Clearance.TUYET_MAT),
            ("lanhdaokt", Role.LEADER, "KT", Clearance.TUYET_MAT),
            ("chuyenvienmat", Role.SPECIALIST, "TH", Clearance.MAT),
        ):
            create_user(
                username=username,
                full_name=f"Người dùng {username}",
                password="edoc-demo-test",
                roles=[role],
                unit_id=units[unit],
                clearance=clearance,
                actor=Operator.cli("test: draft readers"),
            )
        db.session.commit()


def _bearer(client: FlaskClient, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(client, username)}"}


def _user_id(client: FlaskClient, headers: dict[str, str]) -> int:
    return client.get("/api/v1/me", headers=headers).get_json()["id"]


def _create(
    client: FlaskClient, headers: dict[str, str], signer_id: int | None = None, secrecy: int = 0
) -> int:
    data: dict[str, Any] = {
        "doc_type": "TTr",
        "subject": SUBJECT,
        "secrecy": str(secrecy),
        "file": (io.BytesIO(draft_pdf("TO TRINH")), "du-thao.pdf"),
    }
    if signer_id is not None:
        data["signer_id"] = str(signer_id)
    created = client.post(
        "/api/v1/outgoing", data=data, headers=headers, content_type="multipart/form-data"
    )
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def _appendix(app: Flask, client: FlaskClient, document_id: int) -> int:
    """The drafter adds an appendix through the page; returns its file id."""
    from edoc.documents.models import DocumentFile

    response = _form(
        client,
        f"/outgoing/{document_id}/appendices",
        {"file": (io.BytesIO(draft_pdf("PHU LUC")), "Phụ lục.pdf")},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        return db.session.scalar(
            select(DocumentFile.id).where(DocumentFile.document_id == document_id)
        )


def _session(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _form(client: FlaskClient, path: str, data: dict[str, Any] | None = None) -> Any:
    """A form post as the browser sends it, with the CSRF token of a page the user may open."""
    token = csrf_token_from(client.get("/outgoing/").get_data(as_text=True))
    return client.post(
        path, data={**(data or {}), "csrf_token": token}, content_type="multipart/form-data"
    )


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def _page_actions(document_id: int, file_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    """Every page of a draft: read, download the version and an appendix, comment, new
    version, appendix, submit, and the search page's shortcuts to a document."""
    return [
        ("GET", f"/outgoing/{document_id}", {}),
        ("GET", f"/outgoing/{document_id}/file", {}),
        ("GET", f"/outgoing/{document_id}/file?inline=1", {}),
        ("GET", f"/outgoing/{document_id}/files/{file_id}", {}),
        ("GET", f"/search/open/{document_id}", {}),
        ("GET", f"/search/ocr/{document_id}", {}),
        ("POST", f"/outgoing/{document_id}/comments", {"text": "Góp ý của người ngoài"}),
        (
            "POST",
            f"/outgoing/{document_id}/versions",
            {"file": (io.BytesIO(draft_pdf("SUA")), "v2.pdf"), "note": "sửa"},
        ),
        (
            "POST",
            f"/outgoing/{document_id}/appendices",
            {"file": (io.BytesIO(draft_pdf("PL")), "pl.pdf")},
        ),
        ("POST", f"/outgoing/{document_id}/submit", {}),
    ]


def _api_actions(document_id: int, signer_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("GET", f"/api/v1/documents/{document_id}", {}),
        ("GET", f"/api/v1/documents/{document_id}/file", {}),
        ("GET", f"/api/v1/documents/{document_id}/signatures", {}),
        ("POST", f"/api/v1/outgoing/{document_id}/submit", {"signer_id": signer_id}),
    ]


def _refused_like_a_missing_document(
    app: Flask, username: str, document_id: int, file_id: int, signer_id: int
) -> None:
    pages = _session(app, username)
    client = app.test_client()
    headers = _bearer(client, username)
    comments, versions = _count(app, ReviewComment), _count(app, DraftVersion)
    events = _count(app, AuditEvent)
    for method, path, data in _page_actions(document_id, file_id):
        response = pages.get(path) if method == "GET" else _form(pages, path, data)
        assert response.status_code == 404, (username, path, response.status_code)
        assert "Không tìm thấy văn bản." in response.get_data(as_text=True), (username, path)
    for method, path, body in _api_actions(document_id, signer_id):
        response = client.open(path, method=method, json=body or None, headers=headers)
        missing = client.open(
            path.replace(f"/{document_id}", f"/{MISSING}", 1),
            method=method,
            json=body or None,
            headers=headers,
        )
        assert response.status_code == 404, (username, path, response.get_json())
        assert response.get_json() == missing.get_json(), (username, path)  # nothing to tell
    # Nothing was written, not even an audit entry of a download.
    assert (_count(app, ReviewComment), _count(app, DraftVersion)) == (comments, versions)
    assert _count(app, AuditEvent) == events


def _dashboard_count(app: Flask, username: str, title: str) -> int:
    page = _session(app, username).get("/dashboard").get_data(as_text=True)
    found = re.search(rf'card-count">(\d+)</span>\s*<span class="card-title">{title}', page)
    assert found, (username, title)
    return int(found.group(1))


def _lists(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    listing = client.get("/api/v1/outgoing?per_page=500", headers=headers).get_json()
    drafts = client.get("/api/v1/outgoing?status=draft", headers=headers).get_json()
    found = client.get("/api/v1/search", query_string={"q": SUBJECT}, headers=headers).get_json()
    return {
        "ids": [item["id"] for item in listing["items"]],
        "total": listing["total"],
        "drafts": drafts["total"],
        "search": found["total"],
    }


def test_only_the_readers_of_a_draft_see_it(app: Flask, client: FlaskClient, people: None) -> None:
    drafter = _bearer(client, "chuyenvien")
    signer_id = _user_id(client, _bearer(client, "lanhdao"))
    document_id = _create(client, drafter, signer_id=signer_id)
    file_id = _appendix(app, _session(app, "chuyenvien"), document_id)

    for outsider in ("chuyenvienkt", "quantri", "lanhdaokt", "vanthu", "luutru"):
        _refused_like_a_missing_document(app, outsider, document_id, file_id, signer_id)
        headers = _bearer(client, outsider)
        assert _lists(client, headers) == {"ids": [], "total": 0, "drafts": 0, "search": 0}
        page = _session(app, outsider)
        assert SUBJECT not in page.get("/outgoing/").get_data(as_text=True)
        assert SUBJECT not in page.get("/outgoing/?q=sắp+xếp").get_data(as_text=True)
        assert SUBJECT not in page.get("/search/?q=sắp+xếp").get_data(as_text=True)

    # The readers: the drafter, the colleague and the head of the drafting unit, the signer.
    for reader in ("chuyenvien", "dongnghiep", "truongphong", "lanhdao"):
        page = _session(app, reader)
        assert SUBJECT in page.get(f"/outgoing/{document_id}").get_data(as_text=True), reader
        download = page.get(f"/outgoing/{document_id}/file")
        assert download.status_code == 200 and download.data.startswith(b"%PDF"), reader
        assert page.get(f"/outgoing/{document_id}/files/{file_id}").status_code == 200, reader
        assert SUBJECT in page.get("/outgoing/").get_data(as_text=True), reader
        commented = _form(page, f"/outgoing/{document_id}/comments", {"text": f"Ý kiến {reader}"})
        assert commented.status_code == 302, reader
        headers = _bearer(client, reader)
        assert client.get(f"/api/v1/documents/{document_id}", headers=headers).status_code == 200
        assert _lists(client, headers)["ids"] == [document_id], reader
    assert _count(app, ReviewComment) == 4

    # A colleague reviews but does not send someone else's draft up, nor rewrite it.
    colleague = _session(app, "dongnghiep")
    assert _form(colleague, f"/outgoing/{document_id}/submit").status_code == 403
    revised = _form(
        colleague,
        f"/outgoing/{document_id}/versions",
        {"file": (io.BytesIO(draft_pdf("SUA")), "v2.pdf")},
    )
    assert revised.status_code == 403
    api_submit = client.post(
        f"/api/v1/outgoing/{document_id}/submit",
        json={"signer_id": signer_id},
        headers=_bearer(client, "dongnghiep"),
    )
    assert api_submit.status_code == 403
    assert api_submit.get_json()["error"]["message"] == "Chỉ người soạn thảo được trình ký dự thảo."

    # The drafter submits; still nobody else sees it, and the dashboard counts nothing for them.
    submitted = client.post(f"/api/v1/outgoing/{document_id}/submit", json={}, headers=drafter)
    assert submitted.status_code == 200, submitted.get_json()
    _refused_like_a_missing_document(app, "quantri", document_id, file_id, signer_id)
    _refused_like_a_missing_document(app, "vanthu", document_id, file_id, signer_id)
    assert _dashboard_count(app, "vanthu", "Văn bản đã ký") == 0
    assert _dashboard_count(app, "lanhdaokt", "Dự thảo chờ ký số") == 0
    assert _dashboard_count(app, "lanhdao", "Dự thảo chờ ký số") == 1


def test_secrecy_still_applies_to_the_readers(
    app: Flask, client: FlaskClient, people: None
) -> None:
    """A secret draft of the unit is not shown to a colleague without the clearance."""
    document_id = _create(client, _bearer(client, "chuyenvienmat"), secrecy=1)
    assert _session(app, "dongnghiep").get(f"/outgoing/{document_id}").status_code == 404
    assert _session(app, "chuyenvienmat").get(f"/outgoing/{document_id}").status_code == 200
    colleague = _bearer(client, "dongnghiep")
    assert client.get(f"/api/v1/documents/{document_id}", headers=colleague).status_code == 404
    assert _lists(client, colleague)["ids"] == []
    cleared_outsider = _bearer(client, "chuyenvienkt")  # Tuyệt mật, but of another unit
    assert client.get(f"/api/v1/documents/{document_id}", headers=cleared_outsider).status_code == (
        404
    )


def test_only_the_chosen_signer_prepares_its_signature(
    app: Flask, client: FlaskClient, people: None
) -> None:
    signer_id = _user_id(client, _bearer(client, "lanhdao"))
    document_id = _create(client, _bearer(client, "chuyenvien"), signer_id=signer_id)
    client.post(
        f"/api/v1/outgoing/{document_id}/submit", json={}, headers=_bearer(client, "chuyenvien")
    )
    body = {"document_ids": [document_id], "certificate": base64.b64encode(b"x").decode()}
    other_leader = client.post(
        "/api/v1/outgoing/sign/prepare", json=body, headers=_bearer(client, "lanhdaokt")
    )
    assert other_leader.status_code == 404, other_leader.get_json()
    unit_head = client.post(  # a reader, but not the one who signs
        "/api/v1/outgoing/sign/prepare", json=body, headers=_bearer(client, "truongphong")
    )
    assert unit_head.status_code == 422
    assert unit_head.get_json()["error"]["code"] == "not_waiting_for_you"
    assert (
        _session(app, "lanhdaokt").get("/outgoing/sign").get_data(as_text=True).count(SUBJECT) == 0
    )
    assert SUBJECT in _session(app, "lanhdao").get("/outgoing/sign").get_data(as_text=True)


def test_clerks_see_a_draft_once_it_is_signed(
    trusted_app: Flask, client: FlaskClient, people: None, softhsm_tokens: Tokens
) -> None:
    app = trusted_app
    signer_id = _user_id(client, _bearer(client, "lanhdao"))
    drafter = _bearer(client, "chuyenvien")
    document_id = _create(client, drafter, signer_id=signer_id)
    client.post(f"/api/v1/outgoing/{document_id}/submit", json={}, headers=drafter)
    sign_drafts(client, softhsm_tokens, [document_id])

    clerk = _bearer(client, "vanthu")
    listing = client.get("/api/v1/outgoing?status=signed", headers=clerk).get_json()
    assert [item["id"] for item in listing["items"]] == [document_id]
    assert client.get(f"/api/v1/documents/{document_id}/file", headers=clerk).status_code == 200
    page = _session(app, "vanthu")
    assert SUBJECT in page.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert _dashboard_count(app, "vanthu", "Văn bản đã ký") == 1
    # Still nobody outside its readers.
    for outsider in ("chuyenvienkt", "quantri"):
        headers = _bearer(client, outsider)
        assert client.get(f"/api/v1/documents/{document_id}", headers=headers).status_code == 404
        assert _lists(client, headers)["ids"] == []
