"""No raw code reaches a person: each role's pages, reached by following links from the
dashboard on a small data set, show labels, dates as dd/mm/yyyy HH:MM and names, never a status
code (``in_progress``), an audit event code (``outgoing.signed``), an ISO time, a signature's
modification level (``FORM_FILLING``) or a JSON blob."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.extensions import db
from edoc.dossiers.models import DossierStatus
from edoc.exchange.models import MessageState
from edoc.incoming.models import IncomingStatus
from edoc.integrations.models import DeliveryStatus
from edoc.outgoing.models import OutgoingStatus
from edoc.users.models import Unit
from tests.fixtures.app import bearer, signed_in
from tests.fixtures.documents import (
    closed_dossier_of,
    issue,
    leader_id,
    receive_incoming,
    sign_drafts,
    submitted_draft,
)
from tests.fixtures.pdfs import text_pdf
from tests.fixtures.pki import Tokens
from tests.fixtures.words import ISO_TIME, JSON_BLOB

ROLES = ("vanthu", "lanhdao", "chuyenvien", "luutru", "quantri")
#: Links a crawl does not follow: leaving, files and exports (not pages), the API.
SKIP = re.compile(
    r"^/(logout|api/|static/)|/(file|download|export|package|register\.(pdf|xlsx))\b|"
    r"\.(pdf|xlsx|xml|zip|json)$|format=(pdf|xlsx)"
)
MAX_PAGES_PER_ROLE = 80
#: Refusals are pages too: not found, not allowed.
ERROR_PAGES = ("/incoming/999999", "/admin/audit/", "/outgoing/sign")


class _Page(HTMLParser):
    """The text a person reads (no script, style or attribute) and the links."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def _codes(app: Flask) -> set[str]:
    """Every code a page could leak: statuses, audit events recorded, modification levels."""
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action).distinct()))
    statuses = {
        m.value
        for kind in (IncomingStatus, OutgoingStatus, DossierStatus, MessageState, DeliveryStatus)
        for m in kind
        if "_" in m.value  # one-word statuses (``open``) cannot be told from English text
    }
    return actions | statuses | {"FORM_FILLING", "ANNOTATIONS", "in_progress", "open"}


def _data_set(app: Flask, client: FlaskClient, tokens: Tokens) -> None:
    """A day of work through the API: a letter received, presented and directed with a
    deadline; a draft signed by the leader; a secret letter; a closed dossier."""
    clerk = bearer(client, "vanthu")
    leader = leader_id(client)
    letter = receive_incoming(client, clerk, text_pdf("Công văn số 125"), received_via="paper")
    receive_incoming(
        client,
        clerk,
        text_pdf("Công văn mật"),
        received_via="paper",
        number_notation="7/STC-M",
        secrecy="1",
    )
    presented = client.post(
        f"/api/v1/incoming/{letter}/present", json={"leader_id": leader}, headers=clerk
    )
    assert presented.status_code == 200, presented.get_json()
    with app.app_context():
        unit_id = db.session.scalars(select(Unit.id)).first()
    routed = client.post(
        f"/api/v1/incoming/{letter}/route",
        json={"direction": "Giao xử lý", "lead_unit_id": unit_id, "deadline": "2026-12-31"},
        headers=bearer(client, "lanhdao"),
    )
    assert routed.status_code == 200, routed.get_json()
    drafter = bearer(client, "chuyenvien")
    draft = submitted_draft(client, drafter, "Quyết định về phòng chống bão", leader)
    submitted_draft(client, drafter, "Quyết định chờ ký", leader)
    sign_drafts(client, tokens, [draft])
    assert issue(client, clerk, [draft])["failed"] == {}  # the leader's signature: FORM_FILLING
    closed_dossier_of(app, "01.HC", "Hồ sơ hành chính", [letter])


def _crawl(client: FlaskClient, codes: set[str]) -> dict[str, list[str]]:
    """Every page reachable by links from ``/``; what each shows that it should not."""
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = deque(["/", *ERROR_PAGES])
    found: dict[str, list[str]] = {}
    code_words = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, codes)) + r")(?![\w.])")
    while queue and len(seen) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code in (301, 302, 303) and response.location:
            queue.append(urljoin(url, response.location))
            continue
        if response.status_code in (301, 302, 303, 304) or "text/html" not in response.content_type:
            continue
        parser = _Page()
        parser.feed(response.get_data(as_text=True))
        text = "\n".join(parser.text)
        leaks = (
            ISO_TIME.findall(text)
            + [m.group(1) for m in code_words.finditer(text)]
            + JSON_BLOB.findall(text)
        )
        if leaks:
            found[url] = sorted(set(leaks))
        for href in parser.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "localhost":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if SKIP.search(path):
                continue
            # At most three pages of one shape (``/incoming/<id>``): same template, other data.
            shape = re.sub(r"\d+", "#", parts.path)
            if path not in seen and shapes.get(shape, 0) < 3:
                shapes[shape] = shapes.get(shape, 0) + 1
                queue.append(path)
    assert len(seen) > 8, f"the crawl found too few pages: {sorted(seen)}"
    return found


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_no_page_shows_a_raw_code(
    trusted_app: Flask, client: FlaskClient, demo: None, agency_token: Tokens
) -> None:
    _data_set(trusted_app, client, agency_token)
    codes = _codes(trusted_app)
    leaks = {
        role: found for role in ROLES if (found := _crawl(signed_in(trusted_app, role), codes))
    }
    assert not leaks, "\n".join(
        f"{role} {url}: {found}" for role, pages in leaks.items() for url, found in pages.items()
    )
    _shows_words_instead(trusted_app)


def _text(client: FlaskClient, url: str) -> str:
    parser = _Page()
    parser.feed(client.get(url).get_data(as_text=True))
    return "\n".join(parser.text)


def _shows_words_instead(trusted_app: Flask) -> None:
    """What replaced the codes: labels, readable details, full names, local times."""
    admin = signed_in(trusted_app, "quantri")
    audit = _text(admin, "/admin/audit/?action=incoming.")
    assert "Vào sổ, cấp số đến" in audit and "Tiếp nhận văn bản" in audit
    assert "Số: 1" in audit and "Nguồn: văn thư tải lên" in audit  # "label: value", not JSON
    assert "Trần Thị Bích Ngọc" in audit  # the clerk by name, not as vanthu
    assert "Văn bản #" in audit
    users = _text(admin, "/admin/audit/?action=user.")
    assert "Mức tiếp cận bí mật: Tuyệt mật" in users
    clerk = signed_in(trusted_app, "vanthu")
    issued = _text(clerk, "/outgoing/3")
    assert "Điền biểu mẫu (được phép)" in issued
    assert re.search(r"Thời điểm ký: \d{2}/\d{2}/\d{4} \d{2}:\d{2}", issued)
    listed = _text(clerk, "/incoming/")
    assert "Sổ mật" in listed  # the secret letter's arrival number is from its own series
    form = clerk.get("/incoming/new").get_data(as_text=True)
    for level in ("Mật", "Tối mật", "Tuyệt mật"):
        assert f">{level}</option>" in form
    assert re.search(r'<option value="3" disabled[^>]*>Tuyệt mật', form)  # above the clerk's
    missing = clerk.get("/incoming/999999")
    assert missing.status_code == 404
    assert "not_found" not in _text(clerk, "/incoming/999999")
