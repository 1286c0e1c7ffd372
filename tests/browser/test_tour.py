"""Every demo account's pages in chromium, on data loaded once by `edoc demo` itself.

Two tests share one demo (module scope):

- the tour: each account opens every page its menu and dashboard lead to, and one page of each
  kind linked from those (a document, a dossier, a register, a search with a query …), at
  1366 x 768 and on a 390 x 844 phone; no page may be wider than the screen or show an ISO
  time or a JSON blob, and axe-core (pinned below, from the npm registry) may find no critical
  accessibility violation;
- the README's pictures: ``make screenshots`` runs the module with
  ``EDOC_SCREENSHOT_DIR=docs/screenshots`` on the full demo (60 incoming documents, signed
  outgoing ones, search index) and saves each main page at desktop size and at phone size
  (``*-phone.png``). Without that variable a smaller demo is loaded and nothing is saved.
"""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from edoc.cli import cli
from edoc.demo.keys import start_leader_agent
from signing.softhsm import SoftHSM
from tests.fixtures.browser import free_port, sign_in, snapshot
from tests.fixtures.words import raw_bits

# The pages are the same on PostgreSQL (the services under them are tested on both): one run.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.parametrize("database", ["sqlite"], indirect=True),
]

SHOTS = os.environ.get("EDOC_SCREENSHOT_DIR")
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# axe-core from the npm registry, pinned: a new version may bring new rules, so it changes here,
# in a commit, never by itself. Cached outside the repository and checked on every use.
AXE_VERSION = "4.10.3"
AXE_SHA256 = "0f2b4d7dcdf7d1219df8d1959ad68e565f51d14c3f0d88bb71cd59abeb956292"
AXE_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
AXE_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "edoc-tests"

ACCOUNTS = ("vanthu", "lanhdao", "chuyenvien", "luutru", "quantri")
# A word that the demo's documents hold, for each account's search page with a query.
SEARCH = "/search/?q=kế+hoạch"
# Links the tour does not follow: leaving (sign-out is a form), the API, the pager and filters
# (the same page again), the signing agent on 127.0.0.1:…
NOT_PAGES = re.compile(r"^/(api/|static/|logout)|[?&]page=")
MAX_PAGES = 30  # per account: the tour stays well under three minutes


@pytest.fixture(scope="module")
def demo_server(module_app: Flask) -> Iterator[str]:
    """The demo agency served on a free port, with the demo leader's signing agent beside it
    (as `edoc serve` runs it), for every test of this module."""
    app = module_app
    previous = os.environ.get("SOFTHSM2_CONF")
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in list(os.environ):
            if name.startswith("EDOC_AGENCY_TOKEN_"):
                monkeypatch.delenv(name)
        small = ["--documents", "9", "--no-index"]  # the search page is toured on its outbox
        args = ["demo", "--documents", "60"] if SHOTS else ["demo", *small]
        result = app.test_cli_runner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        server = make_server("127.0.0.1", 0, app, threaded=True)
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
        SoftHSM(Path(previous).parent).activate()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe.min.js of the pinned axe-core tarball, downloaded once into the cache, checked by
    its SHA-256 before every use (a changed or truncated file is fetched again, then fails)."""
    tarball = AXE_CACHE / f"axe-core-{AXE_VERSION}.tgz"
    if not tarball.exists() or _sha256(tarball) != AXE_SHA256:
        AXE_CACHE.mkdir(parents=True, exist_ok=True)
        partial = tarball.with_suffix(".part")
        try:
            with urllib.request.urlopen(AXE_URL, timeout=60) as response:
                partial.write_bytes(response.read())
        except OSError as error:
            pytest.fail(f"axe-core not fetched from {AXE_URL} ({error}); put it at {tarball}")
        partial.replace(tarball)
    assert _sha256(tarball) == AXE_SHA256, f"{tarball} is not axe-core {AXE_VERSION}"
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/axe.min.js")
        assert member is not None
        return member.read().decode()


@dataclass
class Findings:
    """What is wrong on the pages one account saw, gathered so one run reports them all."""

    pages: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _kind(url: str) -> str:
    """Pages of one kind share a path once the parts holding numbers (ids, codes) are taken
    out: /incoming/12 ≈ /incoming/7, /directory/000.00.16.H30/edit ≈ /directory/G05/edit."""
    return re.sub(r"[^/]*\d[^/]*", "#", urlsplit(url).path)


def _links(page: Page, base: str, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")
    found = []
    for href in hrefs:
        if not href or href.startswith(("#", "mailto:", "javascript:")):
            continue
        url = urljoin(page.url, href)
        if url.startswith(base) and not NOT_PAGES.search(url[len(base) :]):
            found.append(url.split("#")[0])
    return found


def _fits(page: Page, where: str, findings: Findings) -> None:
    """No horizontal scrolling on the page as it is laid out now."""
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        wide = page.evaluate(
            """() => Array.from(document.querySelectorAll('body *'))
                 .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                 .slice(-3).map(e => e.tagName + '.' + e.className + ' ' +
                   (e.textContent || '').trim().slice(0, 40))"""
        )
        findings.problems.append(f"{where}: {widths[0]} px wide in {widths[1]} px ({wide})")


def _plain_words(page: Page, where: str, findings: Findings) -> None:
    """No ISO time or JSON blob in what the page shows."""
    raw = raw_bits(page.inner_text("body"))
    if raw:
        findings.problems.append(f"{where}: shows {raw}")


def _accessible(page: Page, axe: str, where: str, findings: Findings) -> None:
    """No critical axe-core violation on the page as it is shown now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe)
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .filter(v => v.impact === 'critical')
             .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""
    )
    findings.problems.extend(f"{where}: axe {violation}" for violation in violations)


def _tour(browser: Browser, base: str, username: str, axe: str, axed: set[str]) -> Findings:
    """One account's pages at both widths: the menu's and the dashboard's links, then one page
    of each kind linked from those, breadth first.

    Each page is loaded once, wide, then narrowed to a phone's width: the layout follows the
    media queries at once. axe-core runs once per kind of page (``axed``, shared by the
    accounts: the markup of a kind of page is the same template whoever reads it), wide, and
    on the dashboard narrow too (the phone's folded menu): its rules read the markup, which
    does not change with the width, and running it on every page twice would triple the tour.
    """
    context = browser.new_context(locale="vi-VN", viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    findings = Findings()
    try:
        sign_in(page, base, username)
        expect(page.get_by_test_id("whoami")).to_be_visible()
        queue = [page.url, base + SEARCH, *_links(page, base, ".site-menu a, main a")]
        seen: set[str] = set()
        while queue and len(findings.pages) < MAX_PAGES:
            url = queue.pop(0)
            kind = _kind(url)
            if kind in seen:
                continue
            seen.add(kind)
            page.set_viewport_size(DESKTOP)
            try:
                answer = page.goto(url)
            except PlaywrightError as error:
                if "Download is starting" in str(error):
                    continue  # a PDF, a package, a certificate: not a page
                raise
            assert answer is not None and answer.ok, f"{username}: {url} answers {answer}"
            if "text/html" not in (answer.headers.get("content-type") or ""):
                continue  # shown by the browser itself (a PDF viewer, an image)
            where = f"{username} {url[len(base) :]}"
            findings.pages.append(url[len(base) :])
            _fits(page, f"{where} @1366", findings)
            _plain_words(page, where, findings)
            if kind not in axed:
                _accessible(page, axe, f"{where} @1366", findings)
            queue.extend(_links(page, base, "main a"))
            page.set_viewport_size(PHONE)
            _fits(page, f"{where} @390", findings)
            if kind not in axed and len(findings.pages) == 1:
                _accessible(page, axe, f"{where} @390", findings)
            axed.add(kind)
    finally:
        context.close()
    return findings


def test_every_page_fits_a_phone_and_has_no_critical_accessibility_fault(
    demo_server: str, browser: Browser, axe_source: str
) -> None:
    problems = []
    axed: set[str] = set()
    for username in ACCOUNTS:
        findings = _tour(browser, demo_server, username, axe_source, axed)
        assert len(findings.pages) >= 5, f"{username} reached only {findings.pages}"
        problems.extend(findings.problems)
    assert not problems, "\n".join(problems)


def test_the_phone_menu_folds_and_opens_with_the_keyboard(demo_server: str, page: Page) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, demo_server, "vanthu")
    toggle = page.get_by_role("button", name="Menu")
    logout = page.get_by_role("button", name="Đăng xuất")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(logout).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(logout).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_contain_text("Trần Thị Bích Ngọc")
    snapshot(page, "vanthu-menu-phone", full_page=False)
    page.keyboard.press("Escape")
    expect(logout).to_be_hidden()
    page.set_viewport_size(DESKTOP)  # wide: no button, everything on the bar
    expect(toggle).to_be_hidden()
    expect(logout).to_be_visible()


def _shows(page: Page, shown: Locator, name: str) -> None:
    """``shown`` is visible; then the page is saved as ``name`` for the README (viewport-sized),
    and as ``name-phone`` at phone width."""
    expect(shown).to_be_visible()
    if SHOTS:
        snapshot(page, name, full_page=False)
        size = page.viewport_size
        page.set_viewport_size(PHONE)
        page.reload()
        snapshot(page, f"{name}-phone", full_page=False)
        page.set_viewport_size(size or DESKTOP)
        page.reload()


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
    _shows(page, page.get_by_role("link", name="Dự thảo chờ ký số"), "lanhdao-dashboard")
    page.goto(f"{base}/outgoing/sign")
    expect(page.get_by_text("Đã kết nối phần mềm ký số")).to_be_visible(timeout=15000)
    waiting = "Ban hành Kế hoạch phòng, chống thiên tai"
    _shows(page, page.get_by_text(waiting).first, "lanhdao-ky-so")
    page.context.clear_cookies()

    sign_in(page, base, "chuyenvien")
    _shows(page, page.get_by_text("Lê Hoàng Dũng").first, "chuyenvien-dashboard")
    page.goto(f"{base}/incoming/tracking")
    _shows(page, page.get_by_test_id("tracking-table"), "chuyenvien-theo-doi")
    if SHOTS:
        response = page.goto(f"{base}/search/?q=Krông")
        if response is not None and response.ok:
            _shows(page, page.get_by_test_id("search-total"), "chuyenvien-tim-kiem-ocr")
    page.context.clear_cookies()

    sign_in(page, base, "luutru")
    expect(page.get_by_text("Phạm Thu Hà").first).to_be_visible()
    page.goto(f"{base}/dossiers/")
    _shows(page, page.get_by_text("Hồ sơ phòng, chống thiên tai").first, "luutru-ho-so")
    page.context.clear_cookies()

    sign_in(page, base, "quantri")
    _shows(page, page.get_by_text("Đỗ Minh Quân").first, "quantri-dashboard")
    page.goto(f"{base}/admin/audit/")
    _shows(page, page.get_by_text("Trần Thị Bích Ngọc").first, "quantri-nhat-ky")  # by name
