"""The leader signs two drafts in one batch, in chromium, through the real edoc-signer agent."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from edoc.cli import cli
from signing import tokens as tokens_module
from signing.agent.server import AgentConfig, AgentServer
from tests.fixtures.app import bearer
from tests.fixtures.browser import free_port, read_and_tick_drafts, sign_in, snapshot
from tests.fixtures.documents import leader_id, post_draft, submitted_draft
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.pki import Tokens

pytestmark = pytest.mark.browser


@pytest.fixture
def agent(live_server: str, softhsm_tokens: Tokens) -> Iterator[AgentServer]:
    server = AgentServer(AgentConfig(softhsm_tokens.module, [live_server], port=free_port()))
    server.start_in_thread()
    yield server
    server.stop()


def _use_agent(app: Flask, url: str) -> None:
    app.config["EDOC"] = dataclasses.replace(app.config["EDOC"], signer_url=url)


def _drafts(app: Flask, count: int) -> None:
    """``count`` decisions drafted over the API and waiting for the leader's signature."""
    client: FlaskClient = app.test_client()
    drafter = bearer(client, "chuyenvien")
    signer_id = leader_id(client)
    for number in range(1, count + 1):
        submitted_draft(client, drafter, f"Quyết định thử nghiệm số {number}", signer_id)


def _leader_opens_signing(page: Page, live_server: str, pin: str) -> None:
    """The leader opens the signing page, finds the agent and their certificate (not the
    expired one), reads each draft in the page's viewer and ticks it, and types the PIN; the
    button is left to the test."""
    sign_in(page, live_server, "lanhdao")
    page.goto(f"{live_server}/outgoing/sign")
    expect(page.get_by_test_id("agent-status")).to_contain_text("Đã kết nối phần mềm ký số")
    leader_option = page.locator("#certificate option", has_text="Nguyễn Văn An")
    expect(leader_option).to_have_count(1)
    expect(page.locator("#certificate option", has_text="Trần")).to_have_count(0)  # expired
    page.locator("#certificate").select_option(leader_option.get_attribute("value"))
    _read_and_tick_every_draft(page)
    page.locator("#pin").fill(pin)
    snapshot(page, "leader-sign")


def _read_and_tick_every_draft(page: Page) -> None:
    """Nothing is ticked, and nothing can be until its draft is opened in the viewer."""
    boxes = page.locator('input[name="document_ids"]')
    for index in range(boxes.count()):
        expect(boxes.nth(index)).not_to_be_checked()
        expect(boxes.nth(index)).to_be_disabled()
    read_and_tick_drafts(page)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_draft_sign_issue_journey(
    page: Page,
    live_server: str,
    trusted_app: Flask,
    agent: AgentServer,
    agency_token: Tokens,
    tmp_path: Path,
) -> None:
    app = trusted_app
    _drafts(app, 1)  # one draft made over the API, one in the browser
    _use_agent(app, agent.url)
    draft = tmp_path / "du-thao.pdf"
    draft.write_bytes(draft_pdf("QUYET DINH"))

    # The specialist drafts and submits.
    sign_in(page, live_server, "chuyenvien")
    page.goto(f"{live_server}/outgoing/new")
    page.locator("input[name=file]").set_input_files(str(draft))
    page.locator("select[name=doc_type]").select_option("QĐ")
    page.locator("select[name=authority_prefix]").select_option("KT.")
    page.locator("input[name=signer_title]").fill("Phó Chủ tịch")
    page.locator("textarea[name=subject]").fill(
        "Quyết định ban hành Kế hoạch phòng chống thiên tai"
    )
    page.locator("textarea[name=recipients]").fill("Các sở, ban, ngành\nLưu: VT")
    page.get_by_role("button", name="Lưu dự thảo").click()
    expect(page.get_by_text("Đã tạo dự thảo.")).to_be_visible()
    page.get_by_role("button", name="Trình ký").click()
    expect(page.get_by_test_id("status")).to_have_text("Chờ lãnh đạo ký")
    page.get_by_role("button", name="Đăng xuất").click()

    # The leader signs both drafts with one PIN through the agent.
    _leader_opens_signing(page, live_server, agency_token.leader_pin)
    logins_before = tokens_module.LOGINS.count
    page.get_by_role("button", name="Ký số các văn bản đã chọn").click()
    expect(page.get_by_test_id("sign-result")).to_contain_text("Đã ký 2 văn bản.")
    assert logins_before + 1 == tokens_module.LOGINS.count  # one PIN, one login, two signatures
    expect(page.get_by_test_id("drafts-to-sign")).to_contain_text(
        "Không có dự thảo nào chờ bạn ký."
    )
    page.get_by_role("button", name="Đăng xuất").click()

    # The clerk numbers, seals and issues both.
    sign_in(page, live_server, "vanthu")
    page.goto(f"{live_server}/outgoing/?status=signed")
    page.get_by_test_id("issue-button").click()
    expect(page.get_by_text("Đã phát hành văn bản số 01/QĐ-UBND.")).to_be_visible()
    expect(page.get_by_text("Đã phát hành văn bản số 02/QĐ-UBND.")).to_be_visible()
    expect(page.get_by_test_id("outgoing-table").locator("tbody tr")).to_have_count(2)
    page.get_by_role("link", name=re.compile("phòng chống thiên tai")).click()
    snapshot(page, "outgoing-issued")
    with page.expect_download() as download:
        page.evaluate("url => { window.location = url }", page.url + "/file")
    issued = tmp_path / "issued.pdf"
    download.value.save_as(issued)
    result = app.test_cli_runner().invoke(cli, ["verify-pdf", str(issued), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [s["ok"] for s in report["signatures"]] == [True, True]
    assert report["signatures"][0]["modification_level"] == "FORM_FILLING"

    # The clerk adds an agency served by this system, sends the document to it, makes a
    # certified copy (sao y) and downloads it, all from the document's page.
    detail_url = page.url
    page.goto(detail_url)
    send_form = page.get_by_test_id("send-form")
    send_form.get_by_text("Thêm cơ quan, tổ chức").click()
    send_form.get_by_label("Mã định danh").fill("000.00.12.H30")
    send_form.get_by_label("Tên cơ quan, tổ chức").fill("Sở Nội vụ tỉnh Demo")
    send_form.get_by_label("Cơ quan dùng chung hệ thống này").check()
    send_form.get_by_role("button", name="Thêm vào danh bạ").click()
    expect(page.get_by_text("Đã thêm cơ quan, tổ chức vào danh bạ.")).to_be_visible()
    page.get_by_test_id("send-form").get_by_label("Sở Nội vụ tỉnh Demo").check()
    page.get_by_role("button", name="Gửi văn bản").click()
    expect(page.get_by_text("Đã gửi văn bản.")).to_be_visible()
    row = page.get_by_test_id("dispatch-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("dispatch-status")).to_have_text("Đã nhận")
    expect(row).to_contain_text(re.compile(r"\d{2}/\d{2}/\d{4}"))

    copies = page.get_by_test_id("copies")
    copies.get_by_label("Hình thức sao").select_option("SY")
    copies.get_by_role("button", name="Tạo bản sao").click()
    expect(page.get_by_text("Đã tạo bản sao y có ký số cơ quan.")).to_be_visible()
    snapshot(page, "outgoing-sent-and-copied")
    with page.expect_download() as copy_download:
        page.get_by_test_id("copy-link").click()
    copy = tmp_path / "sao-y.pdf"
    copy_download.value.save_as(copy)
    result = app.test_cli_runner().invoke(cli, ["verify-pdf", str(copy), "--json"])
    assert result.exit_code == 0, result.output
    assert all(s["ok"] for s in json.loads(result.output)["signatures"])


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_batch_of_two_with_one_pin(
    page: Page,
    live_server: str,
    trusted_app: Flask,
    agent: AgentServer,
    softhsm_tokens: Tokens,
) -> None:
    """Errors are said in Vietnamese next to the button (an empty PIN before anything is sent,
    a wrong PIN as the agent reports it), the certificate's title is compared with the title
    the drafts are signed under, and after signing the list refreshes in place with links to
    the signed documents and the button back."""
    app = trusted_app
    _drafts(app, 2)  # KT. CHỦ TỊCH / PHÓ CHỦ TỊCH, as the certificate says
    client: FlaskClient = app.test_client()
    drafter = bearer(client, "chuyenvien")
    third = post_draft(
        client,
        drafter,
        draft_pdf("QUYET DINH"),
        doc_type="QĐ",
        subject="Quyết định thử nghiệm số 3",
        signer_title="Chủ tịch",  # typed on purpose: not what the certificate says
    ).get_json()["id"]
    submitted = client.post(
        f"/api/v1/outgoing/{third}/submit", json={"signer_id": leader_id(client)}, headers=drafter
    )
    assert submitted.status_code == 200, submitted.get_json()
    _use_agent(app, agent.url)
    _leader_opens_signing(page, live_server, "")
    # The third draft is signed as "Chủ tịch", the certificate says "Phó Chủ tịch".
    expect(page.get_by_test_id("title-warning")).to_be_visible()
    expect(page.get_by_test_id("title-warning")).to_contain_text("Phó Chủ tịch")
    expect(page.get_by_test_id("title-warning")).to_contain_text("CHỦ TỊCH")
    drafts = page.get_by_test_id("draft")  # the two signed as the certificate says: no warning
    expect(drafts.nth(0).get_by_test_id("draft-title-warning")).to_be_hidden()
    expect(drafts.nth(1).get_by_test_id("draft-title-warning")).to_be_hidden()
    expect(drafts.nth(2).get_by_test_id("draft-title-warning")).to_be_visible()
    page.get_by_test_id("draft").nth(2).locator('input[name="document_ids"]').uncheck()
    page.evaluate("window.notReloaded = true")
    button = page.get_by_role("button", name="Ký số các văn bản đã chọn")
    error = page.get_by_test_id("sign-error")
    logins_before = tokens_module.LOGINS.count

    button.click()  # no PIN: caught on the page, nothing sent to the agent
    expect(error).to_have_text("Cần nhập mã PIN của token trước khi ký.")
    expect(error).to_have_attribute("role", "alert")
    assert tokens_module.LOGINS.count == logins_before

    page.locator("#pin").fill(softhsm_tokens.leader_pin + "9")
    button.click()
    expect(error).to_contain_text("Mã PIN không đúng; chưa ký văn bản nào.")
    expect(error).not_to_contain_text("incorrect")
    shown = error.locator("p").first
    assert shown.evaluate("p => getComputedStyle(p).color") == "rgb(198, 40, 40)"  # red
    expect(button).to_be_enabled()
    snapshot(page, "leader-sign-wrong-pin")

    page.locator("#pin").fill(softhsm_tokens.leader_pin)
    button.click()
    expect(page.get_by_test_id("sign-result")).to_contain_text("Đã ký 2 văn bản.")
    expect(error).to_be_empty()
    signed = page.get_by_test_id("sign-result").get_by_role("link")
    expect(signed).to_have_count(2)
    expect(signed.first).to_have_text("Quyết định thử nghiệm số 1")
    # the list refreshed in place: the third draft stays, unticked; the button is back
    expect(page.get_by_test_id("draft")).to_have_count(1)
    expect(page.get_by_test_id("draft")).to_contain_text("Quyết định thử nghiệm số 3")
    expect(page.locator('input[name="document_ids"]')).not_to_be_checked()
    expect(button).to_be_enabled()
    assert page.evaluate("window.notReloaded === true")
    signed.first.click()
    expect(page.get_by_test_id("status")).to_have_text("Đã ký, chờ phát hành")
    page.goto(f"{live_server}/outgoing/?status=signed")
    expect(page.get_by_test_id("outgoing-table").locator("tbody tr")).to_have_count(2)

    # From the third draft's own page: Ký số opens it in the signing page's viewer; Trả lại
    # gives it back to its drafter with a comment.
    page.goto(f"{live_server}/outgoing/")
    page.get_by_role("link", name="Quyết định thử nghiệm số 3").click()
    detail = page.url
    page.get_by_test_id("sign-link").click()
    expect(page.get_by_test_id("viewer")).to_be_visible()
    expect(page.locator('input[name="document_ids"]')).to_be_enabled()
    page.goto(detail)
    page.get_by_text("Trả lại", exact=True).click()
    page.get_by_label("Nội dung cần sửa").fill("Bổ sung căn cứ pháp lý.")
    page.get_by_role("button", name="Trả lại người soạn thảo").click()
    expect(page.get_by_text("Đã trả lại dự thảo cho người soạn thảo.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Dự thảo")


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_says_how_to_start_the_agent(page: Page, live_server: str, trusted_app: Flask) -> None:
    app = trusted_app
    _drafts(app, 1)
    _use_agent(app, f"http://127.0.0.1:{free_port()}")
    sign_in(page, live_server, "lanhdao")
    page.goto(f"{live_server}/outgoing/sign")
    expect(page.get_by_test_id("agent-missing")).to_be_visible()
    expect(page.get_by_test_id("agent-missing")).to_contain_text("edoc-signer --module")
    expect(page.get_by_test_id("agent-missing")).to_contain_text(f"--allow-origin {live_server}")
