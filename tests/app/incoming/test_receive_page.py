"""The receive page does the clerk's checking before they submit: the sender is the directory's
agency (not a new spelling of it), and an electronic document without a valid signature can be
returned (or registered with a reason) in the same step, all or nothing."""

from __future__ import annotations

import io

from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures.app import bearer, csrf_token_from, signed_in
from tests.fixtures.documents import count_documents, flashes
from tests.fixtures.pdfs import text_pdf

LETTER = (
    "UBND TỈNH DEMO\nSỞ TÀI CHÍNH\nSố: 215/STC-QLNS\n"
    "V/v hướng dẫn lập dự toán ngân sách nhà nước\nnăm 2027 và kế hoạch tài chính\n\n"
    "Demo, ngày 10 tháng 7 năm 2026\nKính gửi: Các sở, ban, ngành\n"
)


def _directory(client: FlaskClient) -> None:
    admin = bearer(client, "quantri")
    for code, name in (
        ("000.00.02.H30", "Sở Tài chính tỉnh Demo"),
        ("000.00.02.H31", "Sở Tài chính tỉnh Bình Minh"),
        ("000.00.00.H30", "UBND tỉnh Demo"),
    ):
        response = client.post(
            "/api/v1/directory", json={"code": code, "name": name}, headers=admin
        )
        assert response.status_code == 201, response.get_json()


def test_the_sender_is_matched_to_the_directory(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    _directory(client)
    clerk = signed_in(app, "vanthu")
    csrf = csrf_token_from(clerk.get("/incoming/new").get_data(as_text=True))
    response = clerk.post(
        "/api/v1/incoming/analyse",
        data={"received_via": "paper", "file": (io.BytesIO(text_pdf(LETTER)), "cv.pdf")},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    prefill = response.get_json()["prefill"]
    assert prefill["sender_org"] == "Sở Tài chính tỉnh Demo"  # not "UBND TỈNH DEMO SỞ TÀI CHÍNH"
    assert prefill["sender_code"] == "000.00.02.H30"
    assert prefill["subject"] == (
        "V/v hướng dẫn lập dự toán ngân sách nhà nước năm 2027 và kế hoạch tài chính"
    )


def _receive(clerk: FlaskClient, **choice: str) -> object:
    csrf = csrf_token_from(clerk.get("/incoming/new").get_data(as_text=True))
    data = {
        "csrf_token": csrf,
        "received_via": "electronic",
        "sender_org": "Sở Tài chính tỉnh Demo",
        "number_notation": "215/STC-QLNS",
        "doc_type": "CV",
        "subject": "V/v hướng dẫn lập dự toán",
        "note": "ghi chú đã gõ",
        "file": (io.BytesIO(text_pdf(LETTER)), "khong-ky.pdf"),
        **choice,
    }
    return clerk.post("/incoming/new", data=data, content_type="multipart/form-data")


def test_an_unsigned_document_is_returned_from_the_receive_page(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    clerk = signed_in(app, "vanthu")
    form = clerk.get("/incoming/new").get_data(as_text=True)
    assert 'data-testid="bad-signature"' in form and "Trả lại nơi gửi" in form
    before = count_documents(app)
    refused = _receive(clerk, on_bad_signature="return", return_reason="")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    page = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Cần nêu lý do trả lại." in page and "ghi chú đã gõ" in page
    assert 'value="return" checked' in page
    assert count_documents(app) == before  # all or nothing
    returned = _receive(clerk, on_bad_signature="return", return_reason="Không có chữ ký số.")
    assert returned.status_code == 302  # type: ignore[attr-defined]
    detail = clerk.get(returned.location, follow_redirects=True)  # type: ignore[attr-defined]
    assert "Đã trả lại" in detail.get_data(as_text=True)
    assert "Đã trả lại văn bản cho nơi gửi, không cấp số đến." in flashes(detail)
    kept = _receive(clerk, on_bad_signature="register", override_reason="Bản gốc giấy đã nhận.")
    assert kept.status_code == 302  # type: ignore[attr-defined]
    numbered = clerk.get(kept.location, follow_redirects=True)  # type: ignore[attr-defined]
    assert "Số đến: 1" in numbered.get_data(as_text=True)
