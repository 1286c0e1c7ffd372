"""The local signing agent over real HTTP, on real SoftHSM tokens; one test in Debian's chromium."""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from signing import pki as demo
from signing.agent.server import AgentConfig, AgentServer, encode_digest
from signing.pki import DemoPKI
from signing.remote import finish
from signing.tokens import LOGINS
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.pki import Tokens
from tests.fixtures.signatures import prepare_leader, report

EDOC_ORIGIN = "https://edoc.tinh-demo.gov.vn"


@pytest.fixture
def agent(softhsm_tokens: Tokens) -> Iterator[AgentServer]:
    server = AgentServer(
        AgentConfig(module_path=softhsm_tokens.module, allowed_origins=[EDOC_ORIGIN], port=0)
    )
    server.start_in_thread()
    yield server
    server.stop()


def call(
    agent: AgentServer,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    origin: str | None = EDOC_ORIGIN,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], dict[str, Any] | None]:
    port = agent.server_address[1]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    if origin:
        sent["Origin"] = origin
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=sent)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), json.loads(raw) if raw else None


def test_status_and_token_list(agent: AgentServer) -> None:
    status, headers, body = call(agent, "GET", "/v1/status")
    assert status == 200 and body and body["agent"] == "edoc-signer"
    assert headers["Access-Control-Allow-Origin"] == EDOC_ORIGIN
    status, _headers, body = call(agent, "GET", "/v1/tokens")
    assert status == 200 and body
    names = [c["common_name"] for t in body["tokens"] for c in t["certificates"]]
    assert "Nguyễn Văn An" in names and "UBND tỉnh Demo" in names


@pytest.mark.parametrize("origin", ["https://evil.example", None, "null"])
def test_other_origins_are_refused(agent: AgentServer, origin: str | None) -> None:
    status, headers, body = call(agent, "GET", "/v1/tokens", origin=origin)
    assert status == 403 and body and body["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in headers
    status, headers, _ = call(
        agent,
        "OPTIONS",
        "/v1/sign",
        origin=origin,
        headers={"Access-Control-Request-Private-Network": "true"},
    )
    assert status == 403 and "Access-Control-Allow-Private-Network" not in headers


def test_dns_rebinding_host_is_refused(agent: AgentServer) -> None:
    port = agent.server_address[1]
    status, _h, body = call(agent, "GET", "/v1/status", headers={"Host": f"evil.example:{port}"})
    assert status == 403 and body and body["error"]["code"] == "host_not_allowed"


def test_private_network_access_preflight(agent: AgentServer) -> None:
    status, headers, _ = call(
        agent,
        "OPTIONS",
        "/v1/sign",
        headers={
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert status == 204
    assert headers["Access-Control-Allow-Private-Network"] == "true"
    assert headers["Access-Control-Allow-Origin"] == EDOC_ORIGIN
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]


def sign_request(digests: dict[str, bytes], pin: str, label: str = demo.LEADER) -> dict[str, Any]:
    return {
        "certificate": {"label": label},
        "items": [{"id": k, "digest": encode_digest(v)} for k, v in digests.items()],
        "pin": pin,
    }


def test_batch_sign_over_http(
    agent: AgentServer, demo_pki: DemoPKI, softhsm_tokens: Tokens
) -> None:
    prepared = {f"vb-{i}": prepare_leader(demo_pki, draft_pdf(f"VB {i}")) for i in range(3)}
    before = LOGINS.count
    status, _h, body = call(
        agent,
        "POST",
        "/v1/sign",
        sign_request({k: p.digest_to_sign for k, p in prepared.items()}, softhsm_tokens.leader_pin),
    )
    assert status == 200 and body and body["error"] is None and body["not_signed"] == []
    assert LOGINS.count - before == 1
    for key, p in prepared.items():
        signature = base64.b64decode(body["signatures"][key])
        signed = finish(p, signature=signature, trust_roots=[demo_pki.root])
        assert report(signed, demo_pki)["ChuKyLanhDao"].ok


def test_sign_errors_have_stable_codes(agent: AgentServer, softhsm_tokens: Tokens) -> None:
    digest = {"a": b"\1" * 32}
    status, _h, body = call(agent, "POST", "/v1/sign", sign_request(digest, "000000"))
    assert status == 401 and body and body["error"]["code"] == "pin_incorrect"
    status, _h, body = call(
        agent, "POST", "/v1/sign", sign_request(digest, softhsm_tokens.leader_pin, demo.EXPIRED)
    )
    assert status == 409 and body and body["error"]["code"] == "certificate_expired"
    request = sign_request(digest, softhsm_tokens.leader_pin)
    del request["pin"]
    status, _h, body = call(agent, "POST", "/v1/sign", request)
    assert status == 401 and body and body["error"]["code"] == "pin_required"
    request = sign_request({"a": b"short"}, softhsm_tokens.leader_pin)
    status, _h, body = call(agent, "POST", "/v1/sign", request)
    assert status == 400 and body and body["error"]["code"] == "bad_request"


def test_console_pin_mode_asks_the_agent_console(softhsm_tokens: Tokens) -> None:
    prompts: list[str] = []

    def console(prompt: str) -> str:
        prompts.append(prompt)
        return softhsm_tokens.leader_pin

    server = AgentServer(
        AgentConfig(
            module_path=softhsm_tokens.module,
            allowed_origins=[EDOC_ORIGIN],
            port=0,
            pin_mode="console",
            console_pin=console,
        )
    )
    server.start_in_thread()
    try:
        request = sign_request({"a": b"\2" * 32}, "ignored")
        del request["pin"]
        status, _h, body = call(server, "POST", "/v1/sign", request)
    finally:
        server.stop()
    assert status == 200 and body and "a" in body["signatures"]
    assert len(prompts) == 1 and EDOC_ORIGIN in prompts[0]


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        data = b"<!doctype html><title>edoc</title><p>edoc</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


FETCH_JS = """async ([url, body]) => {
  try {
    const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                body: JSON.stringify(body)});
    return {status: r.status, body: await r.json()};
  } catch (e) { return {status: 0, error: String(e)}; }
}"""


@pytest.mark.browser
def test_real_browser_page_signs_through_the_agent(
    softhsm_tokens: Tokens, demo_pki: DemoPKI
) -> None:
    """Chromium runs the CORS preflight for real: allowed page origin works, another fails."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    site = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    site_port = site.server_address[1]
    allowed = f"http://localhost:{site_port}"
    server = AgentServer(
        AgentConfig(module_path=softhsm_tokens.module, allowed_origins=[allowed], port=0)
    )
    server.start_in_thread()
    prepared = prepare_leader(demo_pki, draft_pdf("TRINH DUYET"))
    body = sign_request({"x": prepared.digest_to_sign}, softhsm_tokens.leader_pin)
    url = f"{server.url}/v1/sign"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.goto(f"{allowed}/")
            good = page.evaluate(FETCH_JS, [url, body])
            page.goto(f"http://127.0.0.1:{site_port}/")  # same server, another origin
            bad = page.evaluate(FETCH_JS, [url, body])
            browser.close()
    finally:
        server.stop()
        site.shutdown()
        site.server_close()
    assert good["status"] == 200, good
    signature = base64.b64decode(good["body"]["signatures"]["x"])
    assert report(finish(prepared, signature=signature), demo_pki)["ChuKyLanhDao"].intact
    assert bad["status"] == 0 and "Failed to fetch" in bad["error"]


def test_token_list_carries_the_certificate_for_prepare(
    agent: AgentServer, demo_pki: DemoPKI
) -> None:
    _status, _h, body = call(agent, "GET", "/v1/tokens")
    assert body
    ders = [base64.b64decode(c["der"]) for t in body["tokens"] for c in t["certificates"]]
    assert demo_pki.cert_der(demo.LEADER) in ders
