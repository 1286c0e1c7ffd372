"""The archivist builds a dossier from search results, closes it, exports it and downloads it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from edoc.cli import cli
from tests.fixtures.app import api_token
from tests.fixtures.browser import sign_in, snapshot
from tests.fixtures.documents import post_incoming
from tests.fixtures.selfsigned import blank_pdf

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_archivist_builds_closes_exports(
    page: Page, live_server: str, app: Flask, tmp_path: Path
) -> None:
    client = app.test_client()
    clerk = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    for subject in (
        "Về việc ứng phó cơn bão số 3",
        "Về việc khắc phục hậu quả bão số 3",
        "Về việc tuyển dụng công chức",
    ):
        assert post_incoming(client, clerk, blank_pdf(), subject=subject).status_code == 201

    sign_in(page, live_server, "luutru")
    page.get_by_role("link", name="Hồ sơ", exact=True).click()
    page.locator("input[name=code]").fill("07.VP")
    page.locator("input[name=retention_years]").fill("10")
    page.locator("input[name=title]").fill("Hồ sơ ứng phó cơn bão số 3")
    page.get_by_role("button", name="Thêm hồ sơ").click()
    expect(page.get_by_text("Đã thêm hồ sơ vào danh mục.")).to_be_visible()
    page.get_by_role("link", name="Hồ sơ ứng phó cơn bão số 3").click()

    page.get_by_placeholder("Tìm theo số ký hiệu, trích yếu").fill("bão số 3")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.locator("input[name=document_ids]")).to_have_count(2)
    page.get_by_role("button", name="Thêm các văn bản đã chọn").click()
    expect(page.get_by_text("Đã thêm văn bản vào hồ sơ.")).to_be_visible()
    expect(page.get_by_test_id("dossier-documents").locator("tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Đóng hồ sơ").click()
    expect(page.get_by_test_id("in-hand-documents").locator("tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Xác nhận đóng hồ sơ").click()
    expect(page.get_by_test_id("dossier-status")).to_have_text("Đã đóng")
    snapshot(page, "dossier-closed")

    page.get_by_role("button", name="Xuất gói lưu trữ").click()
    expect(page.get_by_test_id("job-status")).to_have_text("Hoàn thành")
    with page.expect_download() as download:
        page.get_by_test_id("job-download").click()
    archive = tmp_path / "goi.zip"
    download.value.save_as(archive)
    zipfile.ZipFile(io.BytesIO(archive.read_bytes())).extractall(tmp_path / "goi")
    result = app.test_cli_runner().invoke(
        cli, ["verify-package", str(tmp_path / "goi" / "goi-luu-tru")]
    )
    assert result.exit_code == 0, result.output
    assert "package intact" in result.output
