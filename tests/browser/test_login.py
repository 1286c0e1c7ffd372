from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser

ROLES = [
    ("vanthu", "clerk", "Việc của Văn thư", "Trần Thị Bích Ngọc"),
    ("lanhdao", "leader", "Việc của Lãnh đạo", "Nguyễn Văn An"),
    ("chuyenvien", "specialist", "Việc của Chuyên viên", "Lê Hoàng Dũng"),
    ("luutru", "archivist", "Việc của Lưu trữ", "Phạm Thu Hà"),
    ("quantri", "admin", "Việc của Quản trị", "Đỗ Minh Quân"),
]


def test_every_demo_role_sees_its_dashboard(page: Page, live_server: str) -> None:
    for username, role, heading, full_name in ROLES:
        sign_in(page, live_server, username)
        expect(page.get_by_test_id(f"dashboard-{role}")).to_be_visible()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.get_by_test_id("whoami")).to_contain_text(full_name)
        page.get_by_role("button", name="Đăng xuất").click()
        expect(page.get_by_text("Bạn đã đăng xuất.")).to_be_visible()


def test_wrong_password_shows_vietnamese_message(page: Page, live_server: str) -> None:
    sign_in(page, live_server, "vanthu", "sai-mat-khau")
    expect(page.get_by_role("alert")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    expect(page).to_have_url(f"{live_server}/login")


def test_admin_menu_only_for_admin(page: Page, live_server: str) -> None:
    sign_in(page, live_server, "vanthu")
    expect(page.get_by_text("Quản trị", exact=True)).to_have_count(0)
    page.goto(f"{live_server}/admin/users")
    expect(page.get_by_test_id("error-message")).to_have_text(
        "Bạn không có quyền truy cập chức năng này."
    )


def test_admin_finds_failed_logins_in_the_audit_page(page: Page, live_server: str) -> None:
    sign_in(page, live_server, "chuyenvien", "sai-mat-khau")
    sign_in(page, live_server, "quantri")
    page.get_by_text("Quản trị", exact=True).click()
    page.get_by_role("link", name="Nhật ký hệ thống").click()
    page.get_by_label("Hành động").select_option(label="Đăng nhập không thành công")
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("table.audit tbody tr")).to_have_count(1)
    expect(page.locator("table.audit tbody")).to_contain_text("Lê Hoàng Dũng")  # by name
