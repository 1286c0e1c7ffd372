"""After issue: copies with the text stamp, sending, recall; DOCX drafts; the outgoing register."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from edoc.core.extensions import db
from edoc.documents.models import Document
from tests.fixtures.app import api_token, login
from tests.fixtures.documents import (
    archived_elsewhere,
    internal_agency,
    issued_document,
    post_draft,
    send,
)
from tests.fixtures.pdfs import pdf_text
from tests.fixtures.pki import Tokens


def test_copy_with_text_stamp(
    trusted_app: Flask, client: FlaskClient, demo: None, agency_token: Tokens, tmp_path: Path
) -> None:
    document_id, clerk = issued_document(client, agency_token)
    copy = client.post(f"/api/v1/outgoing/{document_id}/copies", data={"kind": "SY"}, headers=clerk)
    assert copy.status_code == 200, copy.get_json()
    assert copy.get_json()["signature_verdict"] == "ok"
    files = client.get(f"/api/v1/documents/{document_id}", headers=clerk).get_json()["files"]
    assert [f["role"] for f in files][-1] == "copy"


def test_send_to_an_internal_agency_and_recall(
    trusted_app: Flask, client: FlaskClient, demo: None, agency_token: Tokens
) -> None:
    document_id, clerk = issued_document(client, agency_token)
    org = internal_agency(client)
    sent = send(client, clerk, document_id, [org["id"]])
    assert sent.status_code == 200, sent.get_json()
    [dispatch] = sent.get_json()["dispatches"]
    assert (dispatch["channel"], dispatch["status"]) == ("internal", "delivered")
    arrived = client.get("/api/v1/incoming?status=received", headers=clerk).get_json()["items"]
    assert [item["id"] for item in arrived] == [dispatch["incoming_document_id"]]
    assert arrived[0]["document"]["signature_verdict"] == "ok"  # checked on receipt
    assert arrived[0]["number_notation"] == "01/QĐ-UBND"
    # the API goes through the page's checks: no second copy delivered
    again = send(client, clerk, document_id, [org["id"]])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_sent"
    still = client.get("/api/v1/incoming?status=received", headers=clerk).get_json()["items"]
    assert len(still) == 1

    recalled = client.post(
        f"/api/v1/outgoing/{document_id}/recall",
        json={"reason": "Sai sót nội dung Điều 2"},
        headers=clerk,
    )
    assert recalled.status_code == 200
    assert recalled.get_json()["status"] == "recalled"
    assert recalled.get_json()["number_notation"] == "01/QĐ-UBND"  # keeps its number


def test_outgoing_register_lists_numbers(
    trusted_app: Flask, client: FlaskClient, demo: None, agency_token: Tokens, tmp_path: Path
) -> None:
    issued_document(client, agency_token)
    login(client, "vanthu")
    pdf = client.get("/outgoing/register?from=01/01/2000&to=31/12/2099&format=pdf")
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data, layout=True)
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in text and "01/QĐ-UBND" in text
    xlsx = client.get("/outgoing/register?from=01/01/2000&to=31/12/2099&format=xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert any(row and row[0] == "01/QĐ-UBND" for row in rows)


OOXML_PKG = "http://schemas.openxmlformats.org/package/2006"
OOXML_DOC = "http://schemas.openxmlformats.org/officeDocument/2006"
WORDML = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def _minimal_docx(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as docx:
        docx.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{OOXML_PKG}/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN}"/></Types>',
        )
        docx.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<Relationships xmlns="{OOXML_PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{OOXML_DOC}/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>',
        )
        docx.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{WORDML}">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


def test_docx_draft_is_converted(client: FlaskClient, demo: None, tmp_path: Path) -> None:
    drafter = {"Authorization": f"Bearer {api_token(client, 'chuyenvien')}"}
    docx = _minimal_docx("Kính gửi các sở, ban, ngành")
    created = post_draft(
        client, drafter, docx, "du-thao.docx", doc_type="CV", subject="Về việc chuyển đổi tệp DOCX"
    )
    assert created.status_code == 201, created.get_json()
    login(client, "chuyenvien")
    pdf = client.get(f"/outgoing/{created.get_json()['id']}/file")
    assert pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    assert "Kính gửi các sở, ban, ngành" in text
    broken = post_draft(
        client, drafter, b"PK\x03\x04 broken", "hong.docx", doc_type="CV", subject="Tệp hỏng"
    )
    assert broken.status_code == 422
    assert broken.get_json()["error"]["code"] == "conversion_failed"


def test_an_imported_issued_document_carries_this_installations_own_check(
    trusted_app: Flask, client: FlaskClient, demo: None, agency_token: Tokens, tmp_path: Path
) -> None:
    """The package says the signatures were good (this installation trusted the demo PKI); the
    importing one does not trust it, so its own check is what the imported file carries."""
    document_id, _clerk = issued_document(client, agency_token)
    other, _package = archived_elsewhere(
        trusted_app, tmp_path, "08.QD", "Hồ sơ quyết định", [document_id]
    )
    with trusted_app.app_context():
        claimed = db.session.get(Document, document_id).main_file
        assert claimed.signature_report["verdict"] == "ok"
    with other.app_context():
        [document] = db.session.scalars(select(Document)).all()
        main = document.main_file
        assert main.sha256 == claimed.sha256  # the same bytes …
        assert main.signature_report["verdict"] != "ok"  # … judged by this installation
