"""Out-of-range ids, pages and dates: 404 or 422 with a proper message, never a server error.

Every route with an ``<int:…>`` part is found in the app's URL map, so a route added later is
covered without editing this file. The caller holds every role and the highest clearance, so
each request gets past the role gates to the code that reads the value.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from edoc.audit.services import Operator
from edoc.core.extensions import db
from edoc.core.params import MAX_ID
from edoc.users.models import Clearance, Role
from edoc.users.services import create_user
from tests.fixtures.app import DEMO_PASSWORD, api_token, csrf_token_from, login

OUT_OF_RANGE_IDS = [
    "99999999999999999999",
    "9223372036854775808",
    str(MAX_ID + 1),
    "0",
    "-1",
    "00",
]
LARGEST_ID = str(MAX_ID)
HUGE = "9223372036854775807"


@dataclass
class Caller:
    web: FlaskClient
    csrf: str
    api: FlaskClient
    bearer: dict[str, str]


@pytest.fixture
def caller(app: Flask, demo: None) -> Caller:
    with app.app_context():
        create_user(
            username="moiquyen",
            full_name="Người có mọi quyền",
            password=DEMO_PASSWORD,
            roles=list(Role),
            clearance=Clearance.TUYET_MAT,
            actor=Operator.cli("test: every role"),
        )
        db.session.commit()
    web = app.test_client()
    assert login(web, "moiquyen").status_code == 302
    csrf = csrf_token_from(web.get("/dashboard").get_data(as_text=True))
    api = app.test_client()
    return Caller(web, csrf, api, {"Authorization": f"Bearer {api_token(api, 'moiquyen')}"})


def _id_rules(app: Flask) -> list[Rule]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(
            type(c).__name__ == "IdConverter" or c.regex == r"\d+"
            for c in rule._converters.values()
        )
    ]


def _url(rule: Rule, value: str) -> str:
    return re.sub(r"<int:[a-z_]+>", value, rule.rule).replace("<job_id>", "x")


def _send(caller: Caller, method: str, url: str) -> tuple[int, str]:
    if url.startswith("/api/"):
        response = caller.api.open(url, method=method, headers=caller.bearer, json={})
    else:
        response = caller.web.open(url, method=method, data={"csrf_token": caller.csrf})
    return response.status_code, response.get_data(as_text=True)


def test_every_route_with_an_id_is_covered(app: Flask) -> None:
    rules = {rule.rule for rule in _id_rules(app)}
    assert "/api/v1/documents/<int:document_id>" in rules
    assert "/outgoing/<int:document_id>/files/<int:file_id>" in rules
    assert len(rules) >= 30


def test_ids_out_of_range_are_404_on_every_route(app: Flask, caller: Caller) -> None:
    failures = []
    for rule in _id_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for value in OUT_OF_RANGE_IDS:
                status, body = _send(caller, method, _url(rule, value))
                if status != 404:
                    failures.append(f"{method} {_url(rule, value)} -> {status}")
                elif "/api/" in rule.rule:
                    assert '"code": "not_found"' in body or '"code":"not_found"' in body
                else:
                    assert "Không tìm thấy" in body
    assert not failures, "\n".join(failures)


def test_the_largest_id_reaches_the_view_without_a_server_error(app: Flask, caller: Caller) -> None:
    failures = []
    for rule in _id_rules(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            status, _ = _send(caller, method, _url(rule, LARGEST_ID))
            if status >= 500:
                failures.append(f"{method} {_url(rule, LARGEST_ID)} -> {status}")
    assert not failures, "\n".join(failures)


API_BAD_QUERIES = [
    f"/api/v1/incoming?page={HUGE}",
    "/api/v1/incoming?page=0",
    f"/api/v1/incoming?per_page={HUGE}",
    "/api/v1/incoming?from=0001-01-01",
    "/api/v1/incoming?to=9999-12-31",
    f"/api/v1/outgoing?page={HUGE}",
    "/api/v1/outgoing?per_page=-1",
    f"/api/v1/search?q=a&page={HUGE}",
    "/api/v1/search?from=0001-01-01",
    "/api/v1/search?to=9999-12-31",
    f"/api/v1/search/numbers?prefix=a&limit={HUGE}",
    "/api/v1/incoming/register?from=0001-01-01&to=2026-01-01",
    "/api/v1/incoming/register?from=2026-01-01&to=9999-12-31",
]


def test_api_query_values_out_of_range_are_422(caller: Caller) -> None:
    for url in API_BAD_QUERIES:
        response = caller.api.get(url, headers=caller.bearer)
        assert response.status_code == 422, (url, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] in {
            "validation_error",
            "invalid_paging",
            "invalid_date",
        }


def test_api_body_ids_out_of_range_are_422(caller: Caller) -> None:
    for url, body in [
        ("/api/v1/outgoing/issue", {"document_ids": [int(HUGE) + 1]}),
        ("/api/v1/outgoing/sign/prepare", {"document_ids": [0], "certificate": "AA=="}),
        ("/api/v1/incoming/1/present", {"leader_id": int(HUGE) * 10}),
        ("/api/v1/outgoing/1/send", {"organization_ids": [-5]}),
        ("/api/v1/tasks/1/progress", {"text": "x", "done": False, "extra": 1}),
    ]:
        response = caller.api.post(url, json=body, headers=caller.bearer)
        assert response.status_code == 422, (url, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] == "validation_error"


WEB_BAD_QUERIES = [
    f"/incoming/?page={HUGE}",
    "/incoming/?from=0001-01-01",
    "/incoming/?to=9999-12-31",
    "/incoming/?from=01/01/0001",
    f"/outgoing/?page={HUGE}",
    f"/admin/audit/?page={HUGE}",
    "/admin/audit/?from=0001-01-01",
    "/admin/audit/?to=9999-12-31",
    f"/dossiers/?year={HUGE}",
    "/dossiers/?year=0",
    f"/search/?q=a&page={HUGE}",
    "/search/?from=0001-01-01",
    "/search/?to=9999-12-31",
    "/incoming/register?from=0001-01-01&to=9999-12-31&format=pdf",
    "/outgoing/register?from=0001-01-01&to=9999-12-31&format=pdf",
]


def test_web_query_values_out_of_range_are_refused_in_vietnamese(caller: Caller) -> None:
    """Out-of-range dates are refused like a mistyped date: an error, or the filter unset."""
    for url in WEB_BAD_QUERIES:
        response = caller.web.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code in {200, 302, 422}, (url, body[:300])
        if response.status_code == 422:
            assert "không hợp lệ" in body or "phải là số" in body, url
    for url in (f"/incoming/?page={HUGE}", f"/outgoing/?page={HUGE}", f"/admin/audit/?page={HUGE}"):
        response = caller.web.get(url)
        assert response.status_code == 200, url  # a page past the end is the last page
    response = caller.web.get("/dossiers/?year=99999")
    assert response.status_code == 422
    assert "Năm phải từ 1900 đến 2999" in response.get_data(as_text=True)
    response = caller.web.post("/dossiers/copy", data={"csrf_token": caller.csrf, "year": HUGE})
    assert response.status_code == 422


def test_web_form_numbers_out_of_range_are_422(caller: Caller) -> None:
    response = caller.web.post(
        "/outgoing/new",
        data={
            "csrf_token": caller.csrf,
            "doc_type": "CV",
            "subject": "Thử số lớn",
            "signer_id": HUGE,
            "copies": HUGE,
            "file": (io.BytesIO(b"%PDF-1.4 not really"), "du-thao.pdf"),
        },
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)  # each field says its bounds (outgoing/schemas.py)
    assert "Số bản phải từ 1 đến 10000." in body and "Mã số phải từ 1 đến 2147483647." in body
    response = caller.web.post(
        "/incoming/1/present", data={"csrf_token": caller.csrf, "leader_id": HUGE + "0"}
    )
    assert response.status_code < 500


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/dossiers/transfer", "dossier_ids"),
        ("/dossiers/export", "dossier_ids"),
        ("/dossiers/documents", "document_ids"),
        ("/outgoing/issue", "document_ids"),
        ("/outgoing/1/send", "organization_ids"),
        ("/incoming/1/route", "cooperating_unit_ids"),
    ],
)
def test_web_form_id_lists_out_of_range_never_reach_the_database(
    caller: Caller, path: str, field: str
) -> None:
    for value in (HUGE, HUGE + "0", "99999999999999999999"):
        response = caller.web.post(path, data={"csrf_token": caller.csrf, field: [value, "1"]})
        assert response.status_code < 500, (path, value, response.status_code)


def _api_operations(app: Flask) -> list[tuple[str, str]]:
    operations = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("openapi.json"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.rule, method) != ("/api/v1/auth/token", "POST"):
                operations.append((method, _url(rule, "1")))
    return operations


def test_anonymous_api_calls_are_401_before_their_input_is_read(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/api/v1/directory", json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    wrong = [
        f"{method} {url} -> {status}"
        for method, url in _api_operations(app)
        if (status := client.open(url, method=method, json={"x": "bad"}).status_code) != 401
    ]
    assert not wrong, "\n".join(wrong)


def test_callers_without_the_role_are_403_before_their_input_is_read(
    client: FlaskClient, demo: None
) -> None:
    token = api_token(client, "chuyenvien")
    response = client.post(
        "/api/v1/directory", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
