"""The leader signs two drafts in one batch, in chromium, through the real edoc-signer agent."""

from __future__ import annotations

import dataclasses
import io
import socket
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from signing import pki as labels
from signing.agent.server import AgentConfig, AgentServer
from signing.pki import DemoPKI
from tests.app_fixtures import api_token
from tests.browser.conftest import sign_in, snapshot
from tests.signing.documents import draft_pdf
from tests.signing.pki_fixtures import Tokens

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def agent(live_server: str, softhsm_tokens: Tokens) -> Iterator[AgentServer]:
    server = AgentServer(AgentConfig(softhsm_tokens.module, [live_server], port=free_port()))
    server.start_in_thread()
    yield server
    server.stop()


def _use_agent(app: Flask, url: str) -> None:
    app.config["EDOC"] = dataclasses.replace(app.config["EDOC"], signer_url=url)


def _drafts(app: Flask, demo_pki: DemoPKI, count: int) -> None:
    trust = app.config["EDOC"].data_dir / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    for label in (labels.ROOT, labels.ISSUING_CA):
        (trust / f"{label}.der").write_bytes(demo_pki.cert_der(label))
    client: FlaskClient = app.test_client()
    drafter = {"Authorization": f"Bearer {api_token(client, 'chuyenvien')}"}
    leader_id = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {api_token(client, 'lanhdao')}"}
    ).get_json()["id"]
    for number in range(1, count + 1):
        created = client.post(
            "/api/v1/outgoing",
            data={
                "doc_type": "QĐ",
                "subject": f"Quyết định thử nghiệm số {number}",
                "file": (io.BytesIO(draft_pdf()), "du-thao.pdf"),
            },
            headers=drafter,
            content_type="multipart/form-data",
        ).get_json()
        client.post(
            f"/api/v1/outgoing/{created['id']}/submit",
            json={"signer_id": leader_id},
            headers=drafter,
        )


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_batch_of_two_with_one_pin(
    page: Page,
    live_server: str,
    app: Flask,
    agent: AgentServer,
    demo_pki: DemoPKI,
    softhsm_tokens: Tokens,
) -> None:
    _drafts(app, demo_pki, 2)
    _use_agent(app, agent.url)
    sign_in(page, live_server, "lanhdao")
    page.goto(f"{live_server}/outgoing/sign")
    expect(page.get_by_test_id("agent-status")).to_contain_text("Đã kết nối phần mềm ký số")
    leader_option = page.locator("#certificate option", has_text="Nguyễn Văn An")
    expect(leader_option).to_have_count(1)
    expect(page.locator("#certificate option", has_text="Trần")).to_have_count(0)  # expired
    page.locator("#certificate").select_option(leader_option.get_attribute("value"))
    page.locator("#pin").fill(softhsm_tokens.leader_pin)
    snapshot(page, "leader-sign")
    page.get_by_role("button", name="Ký số các văn bản đã chọn").click()
    expect(page.get_by_test_id("sign-result")).to_contain_text("Đã ký 2 văn bản.")
    expect(page.get_by_test_id("drafts-to-sign")).to_contain_text(
        "Không có dự thảo nào chờ bạn ký."
    )
    page.goto(f"{live_server}/outgoing/?status=signed")
    expect(page.get_by_test_id("outgoing-table").locator("tbody tr")).to_have_count(2)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_says_how_to_start_the_agent(
    page: Page, live_server: str, app: Flask, demo_pki: DemoPKI
) -> None:
    _drafts(app, demo_pki, 1)
    _use_agent(app, f"http://127.0.0.1:{free_port()}")
    sign_in(page, live_server, "lanhdao")
    page.goto(f"{live_server}/outgoing/sign")
    expect(page.get_by_test_id("agent-missing")).to_be_visible()
    expect(page.get_by_test_id("agent-missing")).to_contain_text("edoc-signer --module")
    expect(page.get_by_test_id("agent-missing")).to_contain_text(f"--allow-origin {live_server}")
