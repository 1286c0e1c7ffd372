"""The clerk's pages after issue: sending, recall, certified copies, and the draft's appendices.

Every form is posted as the browser posts it (session login, CSRF token from the page); each
one is tried with success, with a role that must be refused, and with bad input that must leave
nothing behind.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from edoc.audit.models import AuditEvent
from edoc.core.extensions import db
from edoc.directory.models import Organization
from edoc.documents.models import Direction, Document, DocumentFile
from edoc.outgoing.models import Dispatch
from tests.fixtures.app import bearer, csrf_token_from, signed_in
from tests.fixtures.documents import (
    corrupt_blob,
    flashes,
    issue,
    issued_document,
    leader_id,
    post_outgoing_form,
    sign_drafts,
    submitted_draft,
)
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.pki import Tokens

#: The directory entries the clerk adds from the page: an agency served by this installation
#: (delivered at once) and one outside it (sent by edXML).
INTERNAL_AGENCY = {"code": "000.00.12.H30", "name": "Sở Nội vụ tỉnh Demo", "internal": "y"}
EXTERNAL_AGENCY = {"code": "000.00.00.G01", "name": "Bộ Nội vụ"}


@pytest.fixture
def issued_id(trusted_app: Flask, client: FlaskClient, demo: None, agency_token: Tokens) -> int:
    """A decision signed and issued (01/QĐ-UBND) on the app trusting the demo PKI."""
    document_id, _clerk = issued_document(client, agency_token)
    return document_id


def _count(app: Flask, query: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _events(app: Flask, action: str) -> int:
    return _count(app, select(AuditEvent).where(AuditEvent.action == action))


def _files(app: Flask, document_id: int, role: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(DocumentFile.filename)
                .where(DocumentFile.document_id == document_id, DocumentFile.role == role)
                .order_by(DocumentFile.id)
            )
        )


def _org_id(app: Flask, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Organization.id).where(Organization.code == code))


def _today(app: Flask) -> str:
    from edoc.core.clock import to_local, utcnow

    with app.app_context():
        return to_local(utcnow()).strftime("%d/%m/%Y")


def test_send_form(trusted_app: Flask, issued_id: int) -> None:
    app, document_id = trusted_app, issued_id
    clerk = signed_in(app, "vanthu")
    page = clerk.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert 'data-testid="send-form"' in page and "Danh bạ cơ quan, tổ chức còn trống" in page
    assert "Góp ý" not in page  # issued with none: no empty comments box

    # The clerk adds two agencies from the page; bad input is refused in Vietnamese.
    added = post_outgoing_form(clerk, document_id, "/organizations", INTERNAL_AGENCY)
    assert "Đã thêm cơ quan, tổ chức vào danh bạ." in flashes(added)
    post_outgoing_form(clerk, document_id, "/organizations", EXTERNAL_AGENCY)
    duplicate = post_outgoing_form(
        clerk, document_id, "/organizations", {"code": "000.00.12.H30", "name": "Trùng mã"}
    )
    assert "Mã định danh 000.00.12.H30 đã có trong danh bạ." in flashes(duplicate)
    unnamed = post_outgoing_form(
        clerk, document_id, "/organizations", {"code": "000.00.99.H30", "name": " "}
    )
    assert "Cần nhập tên cơ quan, tổ chức." in flashes(unnamed)
    assert _count(app, select(Organization)) == 2
    assert _events(app, "organization.created") == 2

    internal, external = _org_id(app, "000.00.12.H30"), _org_id(app, "000.00.00.G01")
    page = clerk.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert "Cơ quan trong hệ thống" in page and "Cơ quan, tổ chức bên ngoài" in page

    # Refusals: other roles get 403 and nothing is sent or added.
    for username in ("chuyenvien", "lanhdao"):
        other = signed_in(app, username)
        token = csrf_token_from(other.get(f"/outgoing/{document_id}").get_data(as_text=True))
        refused = other.post(
            f"/outgoing/{document_id}/send",
            data={"organization_ids": [internal], "csrf_token": token},
        )
        assert refused.status_code == 403
        refused = other.post(
            f"/outgoing/{document_id}/organizations",
            data={"code": "X", "name": "Y", "csrf_token": token},
        )
        assert refused.status_code == 403
        assert 'data-testid="send-form"' not in other.get(f"/outgoing/{document_id}").get_data(
            as_text=True
        )
    no_csrf = clerk.post(f"/outgoing/{document_id}/send", data={"organization_ids": [internal]})
    assert no_csrf.status_code == 400

    # Bad input: nothing chosen, or an agency not in the directory alongside a good one.
    nothing = post_outgoing_form(clerk, document_id, "/send", {})
    assert "Cần chọn ít nhất một nơi nhận." in flashes(nothing)
    unknown = post_outgoing_form(
        clerk, document_id, "/send", {"organization_ids": [internal, 99999]}
    )
    assert "Nơi nhận không có trong danh bạ." in flashes(unknown)
    assert _count(app, select(Dispatch)) == 0
    assert _count(app, select(Document).where(Document.direction == Direction.INCOMING)) == 0

    # Success: the internal agency receives it at once, the external one is sent.
    sent = post_outgoing_form(
        clerk, document_id, "/send", {"organization_ids": [internal, external]}
    )
    assert "Đã gửi văn bản." in flashes(sent)
    html = sent.get_data(as_text=True)
    rows = re.findall(r'<tr data-testid="dispatch-row">(.*?)</tr>', html, re.S)
    assert len(rows) == 2
    by_name = {("Sở Nội vụ" in row): row for row in rows}
    assert "Đã nhận" in by_name[True] and "Nội bộ hệ thống" in by_name[True]
    # no peer or hub configured: the package is held, and the clerk is told why
    assert "Chưa có đường gửi liên thông" in by_name[False]
    assert "Liên thông (edXML)" in by_name[False]
    assert all(_today(app) in row for row in rows)
    assert _events(app, "outgoing.sent") == 2
    assert _count(app, select(Document).where(Document.direction == Direction.INCOMING)) == 1

    again = post_outgoing_form(clerk, document_id, "/send", {"organization_ids": [internal]})
    assert "Văn bản đã được gửi đến: Sở Nội vụ tỉnh Demo." in flashes(again)
    assert _count(app, select(Dispatch)) == 2


def test_send_failing_midway_leaves_nothing(trusted_app: Flask, issued_id: int) -> None:
    """The internal delivery reads and checks the file; a corrupt blob stops the whole send."""
    app, document_id = trusted_app, issued_id
    clerk = signed_in(app, "vanthu")
    post_outgoing_form(clerk, document_id, "/organizations", EXTERNAL_AGENCY)
    post_outgoing_form(clerk, document_id, "/organizations", INTERNAL_AGENCY)
    with app.app_context():
        main = db.session.get(Document, document_id).main_file.sha256
    corrupt_blob(app, main)
    ids = [_org_id(app, "000.00.00.G01"), _org_id(app, "000.00.12.H30")]
    failed = post_outgoing_form(clerk, document_id, "/send", {"organization_ids": ids})
    assert any("mã băm không khớp" in message for message in flashes(failed))
    assert _count(app, select(Dispatch)) == 0
    assert _count(app, select(Document).where(Document.direction == Direction.INCOMING)) == 0
    assert _events(app, "outgoing.sent") == 0


def test_recall_form_and_the_recipient_sees_it(trusted_app: Flask, issued_id: int) -> None:
    app, document_id = trusted_app, issued_id
    clerk = signed_in(app, "vanthu")
    post_outgoing_form(clerk, document_id, "/organizations", INTERNAL_AGENCY)
    post_outgoing_form(
        clerk, document_id, "/send", {"organization_ids": [_org_id(app, "000.00.12.H30")]}
    )
    with app.app_context():
        received_id = db.session.scalar(select(Dispatch.incoming_document_id))
    assert "sender-recalled" not in clerk.get(f"/incoming/{received_id}").get_data(as_text=True)

    specialist = signed_in(app, "chuyenvien")
    token = csrf_token_from(specialist.get(f"/outgoing/{document_id}").get_data(as_text=True))
    refused = specialist.post(
        f"/outgoing/{document_id}/recall", data={"reason": "Không được", "csrf_token": token}
    )
    assert refused.status_code == 403

    blank = post_outgoing_form(clerk, document_id, "/recall", {"reason": "   "})
    assert "Cần nêu lý do thu hồi." in flashes(blank)
    assert 'data-testid="status">Đã phát hành<' in blank.get_data(as_text=True)
    assert _events(app, "outgoing.recalled") == 0

    recalled = post_outgoing_form(
        clerk, document_id, "/recall", {"reason": "Sai sót nội dung Điều 2"}
    )
    assert "Đã thu hồi văn bản và thông báo nơi nhận." in flashes(recalled)
    html = recalled.get_data(as_text=True)
    assert 'data-testid="status">Đã thu hồi<' in html
    assert "01/QĐ-UBND" in html  # keeps its number
    [row] = re.findall(r'<tr data-testid="dispatch-row">(.*?)</tr>', html, re.S)
    assert "Đã thu hồi" in row and "Sai sót nội dung Điều 2" in row and _today(app) in row
    assert 'data-testid="recall-form"' not in html and 'data-testid="send-form"' not in html
    assert _events(app, "outgoing.recalled") == 1
    assert _events(app, "incoming.sender_recalled") == 1

    # The receiving side sees the recall on its incoming document, with the reason and date.
    received = clerk.get(f"/incoming/{received_id}").get_data(as_text=True)
    notice = re.search(r'data-testid="sender-recalled">(.*?)</article>', received, re.S)
    assert notice, received
    text = " ".join(notice.group(1).split())
    assert "Nơi gửi đã thu hồi văn bản này" in text
    assert "01/QĐ-UBND" in text and _today(app) in text
    assert "Lý do: Sai sót nội dung Điều 2" in text
    assert "Nơi gửi thu hồi văn bản" in received  # the history entry


def _new_draft(client: FlaskClient) -> int:
    drafter = bearer(client, "chuyenvien")
    return submitted_draft(client, drafter, "Quyết định có phụ lục", leader_id(client))


def _file_link(page: TestResponse, document_id: int, after: str) -> str:
    """The address of the document's file whose link ``page`` shows followed by ``after``."""
    link = re.search(
        rf'href="(/outgoing/{document_id}/files/\d+)"{after}', page.get_data(as_text=True)
    )
    assert link
    return link.group(1)


def _pdf(user: FlaskClient, path: str) -> TestResponse:
    """The file at ``path`` as ``user`` downloads it: it must be a PDF."""
    download = user.get(path)
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    return download


def test_appendix_on_a_draft(client: FlaskClient, app: Flask, demo: None) -> None:
    document_id = _new_draft(client)
    drafter = signed_in(app, "chuyenvien")
    page = drafter.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert "Chưa có phụ lục." in page

    added = post_outgoing_form(
        drafter,
        document_id,
        "/appendices",
        {"file": (io.BytesIO(draft_pdf("PHU LUC", pages=2)), "Phụ lục I.pdf")},
    )
    assert "Đã thêm phụ lục." in flashes(added)
    assert _files(app, document_id, "appendix_draft") == ["Phụ lục I.pdf"]
    assert _events(app, "outgoing.appendix_added") == 1
    link = _file_link(added, document_id, ">Phụ lục I.pdf</a>")
    download = _pdf(drafter, link)
    assert download.headers["X-Content-SHA256"]

    # Bad files are refused in Vietnamese and leave nothing.
    not_pdf = post_outgoing_form(
        drafter, document_id, "/appendices", {"file": (io.BytesIO(b"hello"), "phu-luc.pdf")}
    )
    assert "Tệp không phải là PDF." in flashes(not_pdf)
    empty = post_outgoing_form(
        drafter, document_id, "/appendices", {"file": (io.BytesIO(b""), "rong.pdf")}
    )
    assert "Tệp rỗng (0 byte)." in flashes(empty)
    missing = post_outgoing_form(drafter, document_id, "/appendices", {})
    assert "Cần chọn tệp phụ lục (PDF hoặc DOCX)." in flashes(missing)
    assert _files(app, document_id, "appendix_draft") == ["Phụ lục I.pdf"]
    assert _events(app, "outgoing.appendix_added") == 1

    # Someone who did not draft it (the clerk, before it is signed: not one of its readers)
    # is answered as if it did not exist.
    clerk = signed_in(app, "vanthu")
    token = csrf_token_from(clerk.get("/outgoing/").get_data(as_text=True))
    refused = clerk.post(
        f"/outgoing/{document_id}/appendices",
        data={"file": (io.BytesIO(draft_pdf("PL")), "pl.pdf"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 404
    assert _files(app, document_id, "appendix_draft") == ["Phụ lục I.pdf"]
    # A file of another document is not served through this one.
    other = _new_draft(client)
    assert drafter.get(f"{link.replace(str(document_id), str(other), 1)}").status_code == 404


def test_copies_form_and_sealed_appendix(
    trusted_app: Flask, client: FlaskClient, demo: None, agency_token: Tokens
) -> None:
    app = trusted_app
    document_id = _new_draft(client)
    drafter = signed_in(app, "chuyenvien")
    post_outgoing_form(
        drafter,
        document_id,
        "/appendices",
        {"file": (io.BytesIO(draft_pdf("PHU LUC")), "Phụ lục I.pdf")},
    )
    sign_drafts(client, agency_token, [document_id])
    issued = issue(client, bearer(client, "vanthu"), [document_id])
    assert issued["failed"] == {}

    clerk = signed_in(app, "vanthu")
    page = clerk.get(f"/outgoing/{document_id}").get_data(as_text=True)
    for kind in ("Bản sao y (SY)", "Bản sao lục (SL)", "Bản trích sao (TS)"):
        assert kind in page
    assert "Chưa có bản sao." in page

    made = post_outgoing_form(clerk, document_id, "/copies", {"kind": "SY"})
    assert "Đã tạo bản sao y có ký số cơ quan." in flashes(made)
    assert _files(app, document_id, "copy") == ["SY-01-QĐ-UBND.pdf"]
    copy = _pdf(clerk, _file_link(made, document_id, ' data-testid="copy-link">SY-01-QĐ-UBND.pdf'))
    with app.app_context():
        from signing.validation import validate_pdf

        report = validate_pdf(copy.data, trust_roots=app.config["EDOC"].trust_roots())
    assert report.verdict == "ok"

    extract = post_outgoing_form(
        clerk,
        document_id,
        "/copies",
        {"kind": "TS", "file": (io.BytesIO(draft_pdf("TRICH")), "Điều 2.pdf")},
    )
    assert "Đã tạo bản trích sao có ký số cơ quan." in flashes(extract)
    assert _files(app, document_id, "copy")[-1] == "TS-01-QĐ-UBND-Điều 2.pdf"
    assert _events(app, "outgoing.copy_signed") == 2

    # Bad input: unknown kind, an upload for a full copy, an extract that is not a PDF.
    bad_kind = post_outgoing_form(clerk, document_id, "/copies", {"kind": "XX"})
    assert "Loại bản sao không hợp lệ." in flashes(bad_kind)
    sy_upload = post_outgoing_form(
        clerk, document_id, "/copies", {"kind": "SY", "file": (io.BytesIO(b"%PDF-"), "x.pdf")}
    )
    assert any("Chỉ bản trích sao mới dùng tệp tải lên" in m for m in flashes(sy_upload))
    not_pdf = post_outgoing_form(
        clerk, document_id, "/copies", {"kind": "TS", "file": (io.BytesIO(b"abc"), "x.pdf")}
    )
    assert "Tệp không phải là PDF." in flashes(not_pdf)
    assert len(_files(app, document_id, "copy")) == 2
    assert _events(app, "outgoing.copy_signed") == 2

    # Other roles are refused.
    for username in ("chuyenvien", "lanhdao"):
        other = signed_in(app, username)
        token = csrf_token_from(other.get(f"/outgoing/{document_id}").get_data(as_text=True))
        refused = other.post(
            f"/outgoing/{document_id}/copies", data={"kind": "SL", "csrf_token": token}
        )
        assert refused.status_code == 403
        page = other.get(f"/outgoing/{document_id}").get_data(as_text=True)
        assert f'action="/outgoing/{document_id}/copies"' not in page
        assert "SY-01-QĐ-UBND.pdf" in page  # they still see and download the copies
    assert len(_files(app, document_id, "copy")) == 2

    # The draft's appendix, sealed by the agency as a separate file (PL).
    with app.app_context():
        appendix_id = db.session.scalar(
            select(DocumentFile.id).where(
                DocumentFile.document_id == document_id, DocumentFile.role == "appendix_draft"
            )
        )
    sealed = post_outgoing_form(clerk, document_id, f"/appendices/{appendix_id}/seal")
    assert "Đã ký số cơ quan cho phụ lục." in flashes(sealed)
    assert _files(app, document_id, "appendix") == ["PL-01-QĐ-UBND-Phụ lục I.pdf"]
    assert "PL-01-QĐ-UBND-Phụ lục I.pdf" in sealed.get_data(as_text=True)
    missing = post_outgoing_form(clerk, document_id, "/appendices/99999/seal")
    assert "Không tìm thấy phụ lục." in flashes(missing)
    assert _events(app, "outgoing.copy_signed") == 3
