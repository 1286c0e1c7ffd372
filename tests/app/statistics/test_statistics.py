"""Handling and issuing statistics on a known month (tests/fixtures/workload.py), read on the
page, in the XLSX (read back with openpyxl) and in the PDF (read back with pdftotext)."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.clock import local_today, set_clock
from edoc.core.extensions import db
from edoc.statistics.queries import HandlingCounts, outcome, statistics
from tests.fixtures.app import signed_in
from tests.fixtures.documents import issued_document
from tests.fixtures.pdfs import pdf_text
from tests.fixtures.pki import Tokens
from tests.fixtures.workload import at, build_march, issue_archived, user

MARCH = {"from": "01/03/2026", "to": "31/03/2026"}
OUTGOING = [("QĐ", date(2026, 3, 10), 0), ("TB", date(2026, 3, 15), 0)]
OUTGOING += [("QĐ", date(2026, 3, 20), 1), ("CV", date(2026, 4, 1), 0)]


@pytest.fixture
def march(app: Flask, demo: None) -> dict[str, int]:
    ids = build_march(app)
    issue_archived(app, OUTGOING)
    return ids


def _counts(rows: list, label: str) -> tuple[int, ...]:
    [row] = [r for r in rows if r.label == label]
    c = row.counts
    return (c.received, c.on_time, c.late, c.overdue, c.in_progress)


def test_outcome_is_judged_on_the_day_the_period_ends() -> None:
    as_of = date(2026, 3, 31)
    assert outcome(date(2026, 3, 10), date(2026, 3, 10), as_of) == "on_time"
    assert outcome(date(2026, 3, 10), date(2026, 3, 11), as_of) == "late"
    assert outcome(date(2026, 3, 30), None, as_of) == "overdue"
    assert outcome(date(2026, 3, 31), None, as_of) == "in_progress"
    assert outcome(date(2026, 3, 30), date(2026, 4, 1), as_of) == "overdue"
    assert outcome(None, None, as_of) == "in_progress"


def test_numbers_per_unit_and_person_for_a_cleared_leader(app: Flask, march: dict) -> None:
    with app.app_context():
        stats = statistics(user("lanhdao"), date(2026, 3, 1), date(2026, 3, 31))
        assert stats.as_of == date(2026, 3, 31)
        assert stats.total == HandlingCounts(7, 2, 1, 1, 3)
        assert _counts(stats.units, "Phòng Tổng hợp") == (4, 2, 1, 0, 1)
        assert _counts(stats.units, "Phòng Kinh tế") == (3, 0, 0, 1, 2)
        assert len(stats.units) == 2
        assert _counts(stats.people, "Lê Hoàng Dũng") == (3, 1, 1, 0, 1)
        assert _counts(stats.people, "Hoàng Văn Mạnh") == (1, 1, 0, 0, 0)
        assert _counts(stats.people, "Vũ Thị Kim") == (1, 0, 0, 0, 1)
        assert _counts(stats.people, "Giao đơn vị, chưa có người báo cáo") == (2, 0, 0, 1, 1)
        assert [(r.label, r.count) for r in stats.outgoing_types] == [
            ("Quyết định", 2),
            ("Thông báo", 1),
        ]
        assert [(r.label, r.count) for r in stats.outgoing_units] == [("Chưa xác định đơn vị", 3)]
        assert stats.outgoing_total == 3


def test_secret_documents_are_left_out_for_the_uncleared(app: Flask, march: dict) -> None:
    with app.app_context():
        stats = statistics(user("lanhdao2"), date(2026, 3, 1), date(2026, 3, 31))
        assert stats.total == HandlingCounts(6, 1, 1, 1, 3)
        assert _counts(stats.units, "Phòng Tổng hợp") == (3, 1, 1, 0, 1)
        assert "Hoàng Văn Mạnh" not in [r.label for r in stats.people]
        assert stats.outgoing_total == 2


def test_a_shorter_period_judges_on_its_last_day(app: Flask, march: dict) -> None:
    """Up to 08/03: D1 (due 10/03) is still in progress, D2 (due 05/03) is overdue."""
    with app.app_context():
        stats = statistics(user("lanhdao"), date(2026, 3, 1), date(2026, 3, 8))
        # D1, D2 (TH); D3, D8 (KT, directed 05/03 and 06/03)
        assert stats.total == HandlingCounts(4, 0, 0, 1, 3)
        assert _counts(stats.units, "Phòng Tổng hợp") == (2, 0, 0, 1, 1)


def test_page_shows_tables_and_charts(app: Flask, march: dict) -> None:
    client = signed_in(app, "lanhdao")
    page = client.get("/statistics/", query_string=MARCH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    total = html.split('data-testid="stats-total"')[1].split("</p>")[0]
    total = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", total))
    assert "Tổng số được giao: 7" in total and "Quá hạn chưa xong: 1" in total
    assert html.count('<svg class="chart"') == 4
    assert 'data-testid="stats-units"' in html and "Phòng Kinh tế" in html
    assert 'data-testid="stats-outgoing-total">3<' in html


def test_bad_dates_are_said_not_ignored(app: Flask, march: dict) -> None:
    client = signed_in(app, "vanthu")
    page = client.get("/statistics/", query_string={"from": "31/02/2026", "to": "01/03/2026"})
    assert page.status_code == 422
    assert "Ngày không hợp lệ" in page.get_data(as_text=True)
    reversed_ = client.get("/statistics/", query_string={"from": "31/03/2026", "to": "01/03/2026"})
    assert reversed_.status_code == 422
    assert "Ngày bắt đầu phải trước ngày kết thúc" in reversed_.get_data(as_text=True)


def test_only_an_end_counts_from_the_first_of_its_month(app: Flask, march: dict) -> None:
    client = signed_in(app, "lanhdao")
    with set_clock(at(date(2026, 5, 10))):
        page = client.get("/statistics/", query_string={"to": "31/03/2026"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="from" value="2026-03-01"' in html and 'name="to" value="2026-03-31"' in html
    total = re.sub(r"<[^>]+>", "", html.split('data-testid="stats-total"')[1].split("</p>")[0])
    assert "Tổng số được giao: 7" in re.sub(r"\s+", " ", total)


def test_a_period_is_at_most_five_years(app: Flask, demo: None) -> None:
    client = signed_in(app, "lanhdao")
    with set_clock(at(date(2026, 5, 10))):
        for period in (
            {"from": "01/01/2021", "to": "02/01/2026"},
            {"from": "01/01/2019"},  # until today
            {"from": "01/01/2021", "to": "02/01/2026", "format": "xlsx"},  # no file either
        ):
            page = client.get("/statistics/", query_string=period)
            assert page.status_code == 422 and page.mimetype == "text/html"
            said = "Khoảng thời gian thống kê không được dài quá 5 năm."
            assert said in page.get_data(as_text=True)
        five = client.get("/statistics/", query_string={"from": "01/01/2021", "to": "01/01/2026"})
        assert five.status_code == 200


def test_xlsx_reads_back_and_is_audited(app: Flask, march: dict) -> None:
    client = signed_in(app, "lanhdao")
    response = client.get(
        "/statistics/", query_string={**MARCH, "report": "units", "format": "xlsx"}
    )
    assert response.status_code == 200
    assert "thong-ke-units_20260301-20260331.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[3] == [
        "Đơn vị",
        "Được giao",
        "Đúng hạn",
        "Quá hạn đã xong",
        "Quá hạn chưa xong",
        "Đang xử lý",
    ]
    body = {row[0]: row[1:] for row in rows[4:]}
    assert body["Phòng Tổng hợp"] == [4, 2, 1, 0, 1]
    assert body["Phòng Kinh tế"] == [3, 0, 0, 1, 2]
    assert body["Tổng cộng"] == [7, 2, 1, 1, 3]
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "statistics.exported")
        )
        assert event is not None and event.actor_name


def test_pdf_reads_back(app: Flask, march: dict) -> None:
    client = signed_in(app, "vanthu")
    response = client.get(
        "/statistics/", query_string={**MARCH, "report": "types", "format": "pdf"}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data, layout=True)
    assert "THỐNG KÊ VĂN BẢN ĐI ĐÃ PHÁT HÀNH THEO LOẠI VĂN BẢN" in text
    assert "Từ ngày 01/03/2026 đến ngày 31/03/2026" in text
    assert re.search(r"Quyết định\s+2", text) and re.search(r"Tổng cộng\s+3", text)


@pytest.mark.parametrize(
    ("username", "status"), [("chuyenvien", 403), ("luutru", 403), ("quantri", 403)]
)
def test_only_leaders_and_clerks(app: Flask, demo: None, username: str, status: int) -> None:
    client = signed_in(app, username)
    assert client.get("/statistics/").status_code == status
    assert "/statistics/" not in client.get("/dashboard").get_data(as_text=True)


def test_an_issued_document_counts_for_its_drafting_unit(
    trusted_app: Flask, demo: None, agency_token: Tokens
) -> None:
    """Drafted by chuyenvien (Phòng Tổng hợp), signed by the leader, issued by the clerk today."""
    client = trusted_app.test_client()
    issued_document(client, agency_token)
    with trusted_app.app_context():
        today = local_today()
        stats = statistics(user("vanthu"), today, today)
        assert [(r.label, r.count) for r in stats.outgoing_units] == [("Phòng Tổng hợp", 1)]
        assert [(r.label, r.count) for r in stats.outgoing_types] == [("Quyết định", 1)]
