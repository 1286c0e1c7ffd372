"""The page and the API of an action load the same schema (edoc/outgoing/schemas.py): a refused
form is answered with the refusal's status, a message per field, what was typed kept, and
nothing written."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from edoc.core.extensions import db
from edoc.directory.models import Organization
from edoc.documents.models import Document
from tests.fixtures.app import bearer, csrf_token_from, signed_in
from tests.fixtures.documents import flashes, issued_document, post_outgoing_form
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.pki import Tokens


def _documents(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Document)) or 0


def _new_draft(client: FlaskClient, token: str, **fields: str) -> Any:
    data: dict[str, Any] = {"csrf_token": token, **fields}
    data["file"] = (io.BytesIO(draft_pdf("DU THAO")), "du-thao.pdf")
    return client.post("/outgoing/new", data=data, content_type="multipart/form-data")


def test_a_refused_draft_form_keeps_what_was_typed(app: Flask, demo: None) -> None:
    drafter = signed_in(app, "chuyenvien")
    token = csrf_token_from(drafter.get("/outgoing/new").get_data(as_text=True))
    refused = _new_draft(
        drafter,
        token,
        doc_type="QĐ",
        subject="   ",
        recipients="Sở Tài chính\nLưu: VT",
        authority_prefix="KT.",
        urgency="2",
        copies="0",
        legal_normative="y",
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert '<small class="field-error">Cần nhập trích yếu nội dung.</small>' in html
    assert '<small class="field-error">Số bản phải từ 1 đến 10000.</small>' in html
    assert "Sở Tài chính\nLưu: VT</textarea>" in html
    assert '<option value="KT." selected>' in html
    assert '<option value="2" selected>' in html
    assert 'name="copies" type="number" min="1" value="0"' in html
    assert 'name="legal_normative" value="y" role="switch" checked' in html
    assert _documents(app) == 0

    # A rule the schema cannot check (a document type that does not exist) is shown alike.
    unknown = _new_draft(drafter, token, doc_type="XX", subject="Công văn")
    assert unknown.status_code == 422
    assert "Loại văn bản không hợp lệ: XX." in unknown.get_data(as_text=True)
    assert _documents(app) == 0


def _api_draft(client: FlaskClient, headers: dict[str, str], **data: str) -> TestResponse:
    """The API's answer to a new draft sent as the multipart form ``data`` (no real file)."""
    return client.post(
        "/api/v1/outgoing", headers=headers, data=data, content_type="multipart/form-data"
    )


def test_the_api_refuses_with_the_same_messages(
    client: FlaskClient, app: Flask, demo: None
) -> None:
    headers = bearer(client, "chuyenvien")
    response = _api_draft(client, headers, doc_type="QĐ", subject="  ", copies="0")
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["form"]
    assert fields["subject"] == ["Cần nhập trích yếu nội dung."]
    assert fields["copies"] == ["Số bản phải từ 1 đến 10000."]
    assert fields["file"] == ["Cần đính kèm tệp dự thảo."]
    not_a_file = _api_draft(client, headers, doc_type="QĐ", subject="Công văn", file="du-thao.pdf")
    assert not_a_file.status_code == 422
    assert not_a_file.get_json()["error"]["details"]["form"]["file"] == ["Cần gửi một tệp."]
    assert _documents(app) == 0


def test_a_refused_form_on_the_document_page_keeps_what_was_typed(
    trusted_app: Flask, client: FlaskClient, demo: None, agency_token: Tokens
) -> None:
    app = trusted_app
    document_id, _clerk = issued_document(client, agency_token)
    clerk = signed_in(app, "vanthu")
    post_outgoing_form(
        clerk, document_id, "/organizations", {"code": "000.00.00.G01", "name": "Bộ Nội vụ"}
    )
    duplicate = post_outgoing_form(
        clerk,
        document_id,
        "/organizations",
        {"code": "000.00.00.G01", "name": "Tên gõ lại", "internal": "y"},
    )
    assert duplicate.status_code == 409
    html = duplicate.get_data(as_text=True)
    assert "Mã định danh 000.00.00.G01 đã có trong danh bạ." in flashes(duplicate)
    assert 'value="Tên gõ lại"' in html and "<details open>" in html
    too_long = post_outgoing_form(
        clerk, document_id, "/organizations", {"code": "X" * 33, "name": "Sở Y tế"}
    )
    assert too_long.status_code == 422
    assert "Mã định danh dài quá 32 ký tự." in flashes(too_long)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organization)) == 1

    blank = post_outgoing_form(clerk, document_id, "/recall", {"reason": "  "})
    assert blank.status_code == 422
    assert "Cần nêu lý do thu hồi." in flashes(blank)
    assert 'data-testid="status">Đã phát hành<' in blank.get_data(as_text=True)
