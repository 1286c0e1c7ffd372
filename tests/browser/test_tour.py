"""Each demo account's main pages in chromium, on data loaded by `edoc demo` itself.

``make screenshots`` runs this with ``EDOC_SCREENSHOT_DIR=docs/screenshots``: the full demo
(60 incoming documents, signed outgoing ones, search index) and one PNG per page, viewport-sized
(1280 x 860) so the README images stay small. Without that variable it runs on a smaller demo
and only checks that every account sees its demo data.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from werkzeug.serving import make_server

from edoc.cli import cli
from edoc.demo.keys import start_leader_agent
from tests.fixtures.browser import free_port, sign_in, snapshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = os.environ.get("EDOC_SCREENSHOT_DIR")


@pytest.fixture
def demo_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    previous = os.environ.get("SOFTHSM2_CONF")
    for name in list(os.environ):
        if name.startswith("EDOC_AGENCY_TOKEN_"):
            monkeypatch.delenv(name)
    args = ["demo", "--documents", "60"] if SHOTS else ["demo", "--documents", "9", "--no-index"]
    result = app.test_cli_runner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # as `edoc serve` does: edoc-signer on the demo leader's token, on a port of its own here
    agent_url = f"http://127.0.0.1:{free_port()}"
    settings = app.config["EDOC"]
    app.config["EDOC"] = replace(settings, signer_url=agent_url)
    agent = start_leader_agent(settings.data_dir, "127.0.0.1", server.server_port, agent_url)
    assert agent is not None, "no demo leader token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    agent.terminate()  # type: ignore[attr-defined]
    agent.wait(timeout=10)  # type: ignore[attr-defined]
    if previous:
        from signing.softhsm import SoftHSM

        SoftHSM(Path(previous).parent).activate()


def _shows(page: Page, shown: Locator, name: str) -> None:
    """``shown`` is visible; then the page is saved as ``name`` for the README (viewport-sized)."""
    expect(shown).to_be_visible()
    snapshot(page, name, full_page=False)


# The pages are the same on PostgreSQL (the services under them are tested on both): one run.
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_what_each_demo_account_sees(demo_server: str, page: Page) -> None:
    base = demo_server

    sign_in(page, base, "vanthu")
    _shows(page, page.get_by_text("Trần Thị Bích Ngọc").first, "vanthu-dashboard")
    page.goto(f"{base}/incoming/")
    _shows(page, page.get_by_text("Sở Tài chính tỉnh Demo").first, "vanthu-incoming")
    page.goto(f"{base}/outgoing/?status=issued")
    _shows(page, page.get_by_text("-UBND").first, "vanthu-outgoing-issued")
    page.get_by_role("link", name="Cải cách hành chính tỉnh Demo").first.click()
    _shows(page, page.get_by_text("01/KH-UBND").first, "vanthu-outgoing-detail")
    page.context.clear_cookies()

    sign_in(page, base, "lanhdao")
    _shows(page, page.get_by_text("Dự thảo chờ ký số"), "lanhdao-dashboard")
    page.goto(f"{base}/outgoing/sign")
    expect(page.get_by_text("Đã kết nối phần mềm ký số")).to_be_visible(timeout=15000)
    waiting = "Ban hành Kế hoạch phòng, chống thiên tai"
    _shows(page, page.get_by_text(waiting).first, "lanhdao-ky-so")
    page.context.clear_cookies()

    sign_in(page, base, "chuyenvien")
    _shows(page, page.get_by_text("Lê Hoàng Dũng").first, "chuyenvien-dashboard")
    page.goto(f"{base}/incoming/tracking")
    snapshot(page, "chuyenvien-theo-doi", full_page=False)
    if SHOTS:
        response = page.goto(f"{base}/search/?q=Krông")
        if response is not None and response.ok:
            snapshot(page, "chuyenvien-tim-kiem-ocr", full_page=False)
    page.context.clear_cookies()

    sign_in(page, base, "luutru")
    expect(page.get_by_text("Phạm Thu Hà").first).to_be_visible()
    page.goto(f"{base}/dossiers/")
    _shows(page, page.get_by_text("Hồ sơ phòng, chống thiên tai").first, "luutru-ho-so")
    page.context.clear_cookies()

    sign_in(page, base, "quantri")
    _shows(page, page.get_by_text("Đỗ Minh Quân").first, "quantri-dashboard")
    page.goto(f"{base}/admin/audit/")
    _shows(page, page.get_by_text("vanthu").first, "quantri-nhat-ky")
