"""The incoming-document day in a real browser: receive, present, direct, handle, print."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.fixtures.browser import sign_in, snapshot
from tests.fixtures.selfsigned import blank_pdf, make_signed_pdf

pytestmark = pytest.mark.browser


# The journey runs once, on SQLite: the services under it are tested on both databases.
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_clerk_leader_specialist(
    page: Page, browser: Browser, live_server: str, app: Flask, tmp_path: Path
) -> None:
    signed, root = make_signed_pdf(tmp_path, "Trần Văn Bình")
    trust = app.config["EDOC"].data_dir / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    shutil.copy(root, trust / "so-tai-chinh.pem")
    scan = tmp_path / "ban-quet.pdf"
    scan.write_bytes(blank_pdf("Ban quet giay moi hop"))

    # The clerk receives a signed PDF: the file is checked as soon as it is chosen.
    sign_in(page, live_server, "vanthu")
    page.goto(f"{live_server}/incoming/new")
    page.get_by_label("Văn bản điện tử (PDF có chữ ký số)").check()
    page.locator("#file").set_input_files(str(signed))
    expect(page.get_by_test_id("analyse-status")).to_contain_text("Đã kiểm tra")
    expect(page.get_by_test_id("signature-verdict")).to_contain_text("hợp lệ, toàn vẹn và tin cậy")
    expect(page.locator("input[name=signer_name]")).to_have_value("Trần Văn Bình")
    page.locator("input[name=sender_org]").fill("Sở Tài chính tỉnh Demo")
    page.locator("input[name=number_notation]").fill("15/STC-NS")
    page.locator("textarea[name=subject]").fill("Về việc báo cáo quyết toán ngân sách năm 2025")
    snapshot(page, "incoming-new")
    page.get_by_role("button", name="Vào sổ văn bản đến").click()
    expect(page.get_by_text("Đã vào sổ văn bản đến, số đến 1.")).to_be_visible()

    # ... and a paper original as a scan.
    page.goto(f"{live_server}/incoming/new")
    page.get_by_label("Bản giấy (bản quét PDF hoặc ảnh các trang)").check()
    page.locator("#file").set_input_files(str(scan))
    expect(page.get_by_test_id("analyse-status")).to_contain_text("1 trang")
    page.locator("input[name=sender_org]").fill("Công an tỉnh Demo")
    page.locator("select[name=doc_type]").select_option("GM")
    page.locator("textarea[name=subject]").fill("Mời dự họp triển khai phòng chống cơn bão số 3")
    page.locator("select[name=urgency]").select_option("1")
    page.get_by_role("button", name="Vào sổ văn bản đến").click()
    expect(page.get_by_text("Đã vào sổ văn bản đến, số đến 2.")).to_be_visible()

    for number in (1, 2):
        page.goto(f"{live_server}/incoming/")
        page.locator(f'tr[data-arrival="{number}"]').get_by_role("link").click()
        page.get_by_role("button", name="Trình", exact=True).click()
        expect(page.get_by_text("Đã trình lãnh đạo.")).to_be_visible()
    snapshot(page, "incoming-detail")

    # The leader directs the meeting invitation to the specialist, with a deadline.
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, live_server, "lanhdao")
    expect(page.get_by_test_id("dashboard-leader")).to_contain_text("Văn bản chờ ý kiến chỉ đạo")
    expect(page.get_by_test_id("dashboard-leader").locator(".card-count").first).to_have_text("2")
    snapshot(page, "dashboard-leader")
    page.goto(f"{live_server}/incoming/")
    page.get_by_role("link", name=re.compile("Mời dự họp")).click()
    form = page.get_by_test_id("route-form")
    form.locator("textarea[name=direction]").fill(
        "Giao đồng chí Dũng chuẩn bị nội dung, báo cáo trước cuộc họp."
    )
    form.locator("select[name=lead_user_id]").select_option(label="Lê Hoàng Dũng")
    form.locator("input[name=deadline]").fill("2099-12-31")
    form.get_by_role("button", name="Giao xử lý").click()
    expect(page.get_by_text("Đã ghi ý kiến chỉ đạo và giao xử lý.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Đang xử lý")

    # The specialist sees it, reports and completes it.
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, live_server, "chuyenvien")
    expect(page.get_by_test_id("dashboard-specialist")).to_contain_text("Văn bản được giao xử lý")

    # The bell says one thing waits; it leads to the document, where the specialist and the
    # leader (on another PC) talk: each message shows on the other's page within 2 s.
    expect(page.get_by_test_id("bell-count")).to_have_text("1")
    page.get_by_test_id("bell").click()
    snapshot(page, "notifications")
    page.get_by_test_id("notifications").get_by_role("link", name=re.compile("Mời dự họp")).click()
    expect(page.get_by_test_id("status")).to_have_text("Đang xử lý")
    expect(page.get_by_test_id("bell-count")).to_have_count(0)
    other = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 860})
    leader_page = other.new_page()
    sign_in(leader_page, live_server, "lanhdao")
    leader_page.goto(page.url)
    unread = int(leader_page.get_by_test_id("bell-count").inner_text())  # the two presented
    discussion = page.get_by_test_id("discussion")
    discussion.locator("textarea").fill("Xin ý kiến @")
    discussion.get_by_role("listbox").get_by_role(
        "option", name=re.compile("Nguyễn Văn An")
    ).click()
    expect(discussion.locator("textarea")).to_have_value("Xin ý kiến @lanhdao ")
    discussion.locator("textarea").press_sequentially("về số liệu báo cáo.")
    discussion.get_by_role("button", name="Gửi").click()
    expect(discussion.locator("li")).to_have_count(1)
    seen = leader_page.get_by_test_id("discussion").locator("li")
    # within 2 s comes from the page's 1.5 s polling (checked by the discussion tests); the
    # wait here is generous so a loaded machine does not fail a correct page
    expect(seen).to_contain_text("Xin ý kiến @lanhdao về số liệu báo cáo.", timeout=10000)
    leader_page.get_by_test_id("discussion").locator("textarea").fill("Đồng ý, gửi trước 16 giờ.")
    leader_page.get_by_test_id("discussion").get_by_role("button", name="Gửi").click()
    expect(discussion.locator("li").nth(1)).to_contain_text("Đồng ý", timeout=10000)
    leader_page.reload()
    expect(leader_page.get_by_test_id("bell-count")).to_have_text(str(unread + 1))  # mentioned
    snapshot(leader_page, "discussion")
    other.close()
    page.goto(f"{live_server}/incoming/tasks")
    page.get_by_test_id("task-table").get_by_role("link").click()
    task = page.get_by_test_id("task-form")
    task.locator("textarea[name=text]").fill("Đã chuẩn bị báo cáo và gửi Văn phòng.")
    task.get_by_label("Đã hoàn thành").check()
    task.get_by_role("button", name="Cập nhật").click()
    expect(page.get_by_text("Đã hoàn thành xử lý.")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Đã hoàn thành")

    # The clerk prints the register: both documents are in it.
    page.get_by_role("button", name="Đăng xuất").click()
    sign_in(page, live_server, "vanthu")
    page.goto(f"{live_server}/incoming/register")
    with page.expect_download() as download:
        page.get_by_role("button", name="Tải PDF (A4 ngang)").click()
    target = tmp_path / "so-den.pdf"
    download.value.save_as(target)
    text = subprocess.run(
        ["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True
    ).stdout
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in text
    assert "15/STC-NS" in text
    assert "Mời dự họp triển khai" in text
    assert "Lê Hoàng Dũng" in text
