"""Finding a past document in a real browser: number as you type, words, facets, highlights."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from tests.fixtures.browser import sign_in, snapshot
from tests.fixtures.documents import receive_incoming
from tests.fixtures.pdfs import text_pdf

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_specialist_finds_a_document(
    page: Page, live_server: str, client: FlaskClient, clerk: dict[str, str]
) -> None:
    wanted = receive_incoming(
        client,
        clerk,
        text_pdf("Đề nghị các xã ven biển gia cố đê điều trước mùa mưa bão."),
        number_notation="125/QĐ-UBND",
        subject="Quyết định phê duyệt phương án phòng chống bão năm 2026",
    )
    receive_incoming(
        client,
        clerk,
        text_pdf("Báo cáo tiến độ giải ngân vốn đầu tư công."),
        number_notation="07/BC-SKHĐT",
        doc_type="BC",
        subject="Báo cáo tình hình giải ngân vốn đầu tư công",
        sender_org="Sở Kế hoạch và Đầu tư",
    )

    sign_in(page, live_server, "chuyenvien")
    page.get_by_role("link", name="Tìm kiếm").click()
    box = page.get_by_role("searchbox", name="Từ khóa")
    box.press_sequentially("125/q", delay=50)
    suggestion = page.get_by_test_id("suggestions").get_by_role("link")
    expect(suggestion).to_contain_text("125/QĐ-UBND")
    suggestion.click()
    expect(page).to_have_url(f"{live_server}/incoming/{wanted}")

    page.goto(f"{live_server}/search/")
    page.get_by_role("searchbox", name="Từ khóa").fill("de dieu")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.get_by_test_id("search-total")).to_have_text("Tìm thấy 1 văn bản")
    marks = page.get_by_test_id("search-results").locator("mark")
    expect(marks.filter(has_text=re.compile("^đê$"))).to_have_count(1)  # "de" also marks "Đề"

    page.get_by_role("searchbox", name="Từ khóa").fill("")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.get_by_test_id("search-total")).to_have_text("Tìm thấy 2 văn bản")
    page.get_by_test_id("facets").get_by_role("link", name="Báo cáo").click()
    expect(page.get_by_test_id("search-total")).to_have_text("Tìm thấy 1 văn bản")
    expect(page.get_by_test_id("search-results")).to_contain_text("07/BC-SKHĐT")
    snapshot(page, "search")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_specialist_pages_through_a_long_result(
    page: Page, live_server: str, client: FlaskClient, clerk: dict[str, str]
) -> None:
    for n in range(1, 6):
        receive_incoming(
            client,
            clerk,
            text_pdf(f"Nội dung kế hoạch số {n}."),
            number_notation=f"{n}/KH-SNN",
            subject=f"Kế hoạch phòng chống thiên tai đợt {n}",
        )
    errors: list[int] = []
    page.on("response", lambda r: errors.append(r.status) if r.status >= 500 else None)

    sign_in(page, live_server, "chuyenvien")
    page.goto(f"{live_server}/search/?q=thiên+tai&sort=date&per_page=2")
    results = page.get_by_test_id("search-results").locator("li[data-document-id]")
    pager = page.locator("nav.pager")

    def shown() -> list[str]:
        return results.evaluate_all("items => items.map(item => item.dataset.documentId)")

    expect(page.get_by_test_id("search-total")).to_have_text("Tìm thấy 5 văn bản")
    expect(pager).to_contain_text("Trang 1/3")
    first = shown()
    pager.get_by_role("link", name="Trang sau »").click()
    expect(pager).to_contain_text("Trang 2/3")
    expect(pager.get_by_role("link", name="« Trang trước")).to_be_visible()
    second = shown()
    pager.get_by_role("link", name="Trang sau »").click()
    expect(pager).to_contain_text("Trang 3/3")
    expect(results).to_have_count(1)
    last = shown()
    expect(pager.get_by_role("link", name="Trang sau »")).to_have_count(0)
    expect(page.get_by_role("heading", name="Tìm kiếm văn bản")).to_be_visible()
    expect(page.get_by_test_id("search-total")).to_have_text("Tìm thấy 5 văn bản")

    assert len(first) == len(second) == 2 and len(last) == 1
    assert len(set(first) | set(second) | set(last)) == 5  # three pages, no repeats
    pager.get_by_role("link", name="« Trang trước").click()
    expect(pager).to_contain_text("Trang 2/3")
    assert shown() == second
    assert errors == []
