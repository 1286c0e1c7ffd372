"""The clerk's send form with the province's whole directory: the filter box narrows 100+
agencies to the one typed (without diacritics), and the form still sends to it."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from edoc.demo.agency import DIRECTORY_FILE
from tests.fixtures.app import bearer
from tests.fixtures.browser import sign_in, snapshot
from tests.fixtures.documents import issued_document
from tests.fixtures.pki import Tokens

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_filter_box_narrows_the_recipients_and_sending_still_works(
    page: Page, live_server: str, trusted_app: Flask, agency_token: Tokens
) -> None:
    client: FlaskClient = trusted_app.test_client()
    document_id, _clerk = issued_document(client, agency_token)
    extra = "".join(f"{n:03d}.00.01.H30,Đơn vị sự nghiệp số {n},,unit,,,\n" for n in range(1, 41))
    directory = DIRECTORY_FILE.read_bytes() + extra.encode()
    imported = client.post(
        "/api/v1/directory/import",
        data={"file": (io.BytesIO(directory), "danh-ba.csv")},
        headers=bearer(client, "quantri"),
        content_type="multipart/form-data",
    )
    assert imported.status_code == 200, imported.get_json()
    assert len(imported.get_json()["created"]) > 100

    sign_in(page, live_server, "vanthu")
    page.goto(f"{live_server}/outgoing/{document_id}")
    picker = page.locator("#recipient-picker")
    boxes = picker.locator("label.inline-check")
    expect(boxes).to_have_count(len(imported.get_json()["created"]))
    expect(picker.locator("label.inline-check:visible")).to_have_count(boxes.count())

    page.get_by_test_id("recipient-filter").fill("so noi vu")
    visible = picker.locator("label.inline-check:visible")
    expect(visible).to_have_count(1)
    expect(visible).to_contain_text("Sở Nội vụ tỉnh Demo (000.00.13.H30)")
    expect(page.get_by_test_id("recipient-filter-count")).to_contain_text("Đang hiện 1/")
    expect(picker.locator("fieldset:visible")).to_have_count(1)
    visible.locator("input").check()
    page.get_by_test_id("recipient-filter").press("Enter")  # filters; does not send
    expect(visible.locator("input")).to_be_checked()

    page.get_by_test_id("recipient-filter").fill("G22")  # by code; what is ticked stays shown
    expect(picker.locator("label.inline-check:visible")).to_have_count(2)
    snapshot(page, "recipient-picker-filtered")
    page.get_by_role("button", name="Gửi văn bản").click()
    expect(page.get_by_text("Đã gửi văn bản.")).to_be_visible()
    rows = page.get_by_test_id("dispatch-row")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Sở Nội vụ tỉnh Demo")
