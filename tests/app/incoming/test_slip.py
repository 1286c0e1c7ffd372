"""The processing slip (phiếu xử lý) of an incoming document: its PDF read back with pdftotext,
linked from the document's page, refused to those who may not see the document, audited."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.extensions import db
from tests.fixtures.app import bearer, signed_in
from tests.fixtures.pdfs import pdf_text
from tests.fixtures.workload import build_march


def test_slip_holds_the_direction_units_deadline_and_history(app: Flask, demo: None) -> None:
    ids = build_march(app)
    client = signed_in(app, "vanthu")
    page = client.get(f"/incoming/{ids['D8']}").get_data(as_text=True)
    assert f'href="/incoming/{ids["D8"]}/slip"' in page

    response = client.get(f"/incoming/{ids['D8']}/slip")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = re.sub(r"\s+", " ", pdf_text(response.data))
    assert "PHIẾU XỬ LÝ VĂN BẢN ĐẾN" in text
    assert "Về việc giá đất năm 2026" in text and "Sở Tài chính tỉnh Demo" in text
    assert "Giao chủ trì giải quyết, báo cáo kết quả." in text
    assert "Nguyễn Văn An" in text  # the leader who directed
    assert "31/03/2026" in text and "25/03/2026" in text  # both deadlines, the later one current
    assert "Phòng Kinh tế" in text and "Phòng Tổng hợp" in text  # lead, cooperating
    assert "Đã được thay bằng chỉ đạo mới" in text  # the first direction's share
    assert "Cho ý kiến chỉ đạo, giao xử lý" in text  # history, in words
    assert "incoming." not in text and "in_progress" not in text
    assert "người in: Trần Thị Bích Ngọc" in text

    done = re.sub(r"\s+", " ", pdf_text(client.get(f"/incoming/{ids['D1']}/slip").data))
    assert "Đã hoàn thành" in done and "Lê Hoàng Dũng: Đã hoàn thành." in done

    with app.app_context():
        printed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "incoming.slip_printed")
        ).all()
        assert [e.object_id for e in printed] == [str(ids["D8"]), str(ids["D1"])]


def test_slip_of_a_secret_document_only_for_the_cleared(app: Flask, demo: None) -> None:
    ids = build_march(app)
    assert signed_in(app, "chuyenvien").get(f"/incoming/{ids['D6']}/slip").status_code == 404
    assert signed_in(app, "lanhdao").get(f"/incoming/{ids['D6']}/slip").status_code == 200
    client = app.test_client()
    api = client.get(f"/api/v1/incoming/{ids['D6']}/slip", headers=bearer(client, "chuyenvien"))
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "document_not_found"
    ok = client.get(f"/api/v1/incoming/{ids['D6']}/slip", headers=bearer(client, "vanthu"))
    assert ok.status_code == 200 and "bảo vệ bí mật nhà nước" in pdf_text(ok.data)
