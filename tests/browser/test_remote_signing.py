"""On a 390 × 844 phone, the leader signs three drafts remotely with one code from the
authenticator app (no token, no agent), and the clerk then issues them as usual."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, expect
from pyhanko.pdf_utils.reader import PdfFileReader

from edoc.outgoing.signing import LEADER_BOX, LEADER_FIELD
from tests.fixtures.app import bearer
from tests.fixtures.browser import open_menu, read_and_tick_drafts, sign_in, snapshot
from tests.fixtures.documents import leader_id, submitted_draft
from tests.fixtures.pdfs import ocr_region
from tests.fixtures.pki import Tokens
from tests.fixtures.remote_signing import enable_service, give_credential

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _fits(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_leader_signs_three_drafts_remotely_on_a_phone(
    browser: Browser,
    live_server: str,
    trusted_app: Flask,
    agency_token: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = trusted_app
    enable_service(app, agency_token, monkeypatch)
    remote = give_credential(app)
    client: FlaskClient = app.test_client()
    drafter = bearer(client, "chuyenvien")
    signer_id = leader_id(client)
    ids = [
        submitted_draft(client, drafter, f"Quyết định thử nghiệm số {n}", signer_id)
        for n in (1, 2, 3)
    ]
    context = browser.new_context(locale="vi-VN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, "lanhdao")
        page.goto(f"{live_server}/outgoing/sign")
        read_and_tick_drafts(page)
        page.get_by_test_id("remote-mode").check()
        expect(page.locator("#pin")).to_be_hidden()
        expect(page.get_by_test_id("title-warning")).to_be_hidden()  # the certificate's title
        page.get_by_test_id("otp").fill(remote.code())
        _fits(page)
        snapshot(page, "leader-sign-remote-phone")
        page.get_by_role("button", name="Ký từ xa các văn bản đã chọn").click()
        expect(page.get_by_test_id("sign-result")).to_contain_text(
            "Đã ký 3 văn bản.", timeout=120_000
        )
        expect(page.get_by_test_id("signed-list").locator("li")).to_have_count(3)
        expect(page.get_by_test_id("drafts-to-sign")).to_contain_text(
            "Không có dự thảo nào chờ bạn ký."
        )
        _fits(page)
        open_menu(page)
        page.get_by_role("button", name="Đăng xuất").click()

        leader = bearer(client, "lanhdao")
        for document_id in ids:
            report = client.get(f"/api/v1/documents/{document_id}/signatures", headers=leader)
            body = report.get_json()
            assert body["verdict"] == "ok", body
            assert body["signatures"][0]["signer_name"] == "Nguyễn Văn An"
        signed = client.get(f"/api/v1/documents/{ids[0]}/file", headers=leader).data
        fields = [s.field_name for s in PdfFileReader(io.BytesIO(signed)).embedded_signatures]
        assert fields == [LEADER_FIELD]
        appearance = ocr_region(signed, LEADER_BOX)  # ND30: title, signature image, name
        assert "Nguyễn Văn An" in appearance and "CHỦ TỊCH" in appearance

        sign_in(page, live_server, "vanthu")
        page.goto(f"{live_server}/outgoing/?status=signed")
        page.get_by_test_id("issue-button").click()
        for number in ("01", "02", "03"):
            expect(page.get_by_text(f"Đã phát hành văn bản số {number}/QĐ-UBND.")).to_be_visible()
        _fits(page)
    finally:
        context.close()
