"""The sender's dispatch page in a real browser, after the recipient's system reported 01, 03,
04 and 06: each status with its time, readable at desktop and phone widths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from edoc.core.extensions import db
from edoc.incoming.models import IncomingDocument
from signing.pki import DemoPKI
from tests.fixtures.app import bearer
from tests.fixtures.browser import open_menu, sign_in
from tests.fixtures.documents import issued_document, route_and_finish, send
from tests.fixtures.exchange import Installation, agency_tokens, directory_entry, peer_pair
from tests.fixtures.pki import Tokens

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("/tmp")
DATETIME_VN = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


@pytest.fixture(scope="module")
def browser_exchange_tokens(softhsm_tokens: Tokens, demo_pki: DemoPKI) -> dict[str, str]:
    """Each installation's agency key on a token of its own (labels apart from those of
    tests/app/exchange, which may run in the same session)."""
    return agency_tokens(softhsm_tokens, demo_pki, "browser-exch", ("tinh", "stc"))


@pytest.fixture
def pair(
    app: Flask,
    tmp_path: Path,
    softhsm_tokens: Tokens,
    browser_exchange_tokens: dict[str, str],
    demo_pki: DemoPKI,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Installation]]:
    """The province (the test's ``app``, served) and the finance department, peers."""
    monkeypatch.delenv("EDOC_AGENCY_TOKEN_MODULE", raising=False)
    yield from peer_pair(app, tmp_path, softhsm_tokens, browser_exchange_tokens, demo_pki)


def handled_at_the_recipient(stc: Installation) -> None:
    """The department registers the document (03), the leader assigns it (04), the
    specialist finishes it (06) — each through its API, as their own people would."""
    client = stc.client
    with stc.app.app_context():
        incoming_id = db.session.scalar(select(IncomingDocument.document_id))
    clerk = bearer(client, "vanthu")
    answer = client.post(f"/api/v1/incoming/{incoming_id}/register", headers=clerk, json={})
    assert answer.status_code == 200, answer.get_json()
    route_and_finish(
        client, incoming_id, "Giao chuyên viên tham mưu trả lời", "Đã có văn bản trả lời"
    )


def assert_no_overflow(page: Page, where: str) -> None:
    width, viewport = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width <= viewport, f"{where}: the page is {width} px wide in a {viewport} px window"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_sender_reads_01_03_04_06_with_their_times_on_desktop_and_phone(
    pair: dict[str, Installation], softhsm_tokens: Tokens, browser: Browser
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    document_id, clerk = issued_document(tinh.client, softhsm_tokens)
    sent = send(tinh.client, clerk, document_id, [directory_entry(tinh, stc)])
    assert sent.status_code == 200, sent.get_json()
    handled_at_the_recipient(stc)

    for name, width, height in (("desktop", 1280, 860), ("phone", 390, 844)):
        context = browser.new_context(locale="vi-VN", viewport={"width": width, "height": height})
        page = context.new_page()
        sign_in(page, tinh.url, "vanthu")
        page.goto(f"{tinh.url}/outgoing/{document_id}")
        timeline = page.get_by_test_id("dispatch-timeline")
        expect(timeline).to_have_attribute("data-recipient", "Sở Tài chính tỉnh Demo")
        expect(timeline.get_by_test_id("delivery")).to_contain_text("Đã gửi")
        steps = timeline.get_by_test_id("timeline-step")
        codes = [steps.nth(i).get_attribute("data-code") for i in range(steps.count())]
        assert [c for c in codes if c != "05"] == ["01", "03", "04", "06"]
        texts = {code: steps.nth(i).inner_text() for i, code in enumerate(codes)}
        for code, label in (
            ("01", "Đã đến"),
            ("03", "Đã tiếp nhận"),
            ("04", "Đã phân công"),
            ("06", "Đã hoàn thành"),
        ):
            step = steps.nth(codes.index(code))
            assert label in texts[code]
            assert DATETIME_VN.match(step.locator("time").inner_text()), texts[code]
            expect(step).to_be_visible()
        assert "số đến 1" in texts["03"]
        step = steps.nth(codes.index("06"))
        step.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"pages-timeline-{name}.png"), full_page=True)
        overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"{name}: the page is {overflow[0]} px wide"
        # The operator's pages at the same width.
        page.get_by_role("link", name="Chi tiết gói tin").click()
        expect(page.get_by_test_id("message-state")).to_have_text("Đã gửi")
        page.screenshot(path=str(SCREENSHOTS / f"pages-message-{name}.png"), full_page=True)
        assert_no_overflow(page, f"{name} (message)")
        open_menu(page)
        page.get_by_role("link", name="Liên thông", exact=True).click()
        expect(page.get_by_test_id("own-organ")).to_have_text(tinh.organ_id)
        page.screenshot(path=str(SCREENSHOTS / f"pages-overview-{name}.png"), full_page=True)
        assert_no_overflow(page, f"{name} (overview)")
        # The recipient's page of the same document, at the same width.
        sign_in(page, stc.url, "vanthu")
        page.goto(f"{stc.url}/incoming/")
        expect(page.get_by_test_id("exchange-badge")).to_have_text("Liên thông")
        page.get_by_test_id("incoming-table").get_by_role("link").first.click()
        expect(page.get_by_test_id("exchange-origin")).to_contain_text(tinh.organ_id)
        expect(page.get_by_test_id("envelope-ok")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / f"pages-origin-{name}.png"), full_page=True)
        overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert overflow[0] <= overflow[1], f"{name} (incoming): {overflow[0]} px wide"
        context.close()
