"""The OpenAPI document is valid OpenAPI 3 and true: what the API answers matches it.

The schemathesis run calls every operation with a few generated requests, as a clerk with a
real API token, against the real app on its own SQLite database (WSGI, no mocks), and fails on
any server error or any response whose status, content type or body the document does not
declare.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from edoc.app import create_app
from edoc.core.extensions import db
from signing import pki as pki_labels
from tests.fixtures.app import DEMO_PASSWORD, _settings, api_token
from tests.fixtures.pki import Tokens
from tests.fixtures.selfsigned import blank_pdf

METHODS = {"get", "post", "put", "patch", "delete"}
EXAMPLES = 5  # per operation: ~35 operations stay well under a minute


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_document_is_valid_openapi_3(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert '"formData"' not in client.get("/api/v1/openapi.json").get_data(as_text=True)


def test_every_operation_declares_its_success_and_its_errors(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, method, operation in _operations(spec):
        statuses = set(operation["responses"])
        assert statuses & {"200", "201", "204"}, f"{method.upper()} {path} declares no success"
        assert "default" in statuses, f"{method.upper()} {path} declares no error body"


def test_uploads_are_multipart_request_bodies(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/incoming", "/api/v1/incoming/analyse", "/api/v1/outgoing"):
        body = spec["paths"][path]["post"]["requestBody"]["content"]
        assert list(body) == ["multipart/form-data"], path
    register = spec["paths"]["/api/v1/incoming/register"]["get"]["responses"]["200"]["content"]
    assert set(register) == {
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


def test_error_bodies_match_the_declared_error_schema(client: FlaskClient, demo: None) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    error_schema = {"$ref": "#/components/schemas/Error", "components": spec["components"]}
    bearer = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    answers = [
        client.get("/api/v1/me"),  # 401
        client.get("/api/v1/users", headers=bearer),  # 403
        client.get("/api/v1/documents/424242", headers=bearer),  # 404
        client.get("/api/v1/incoming?page=0", headers=bearer),  # 422
        client.post("/api/v1/auth/token", json={"username": "x"}),  # 422 from the body
    ]
    assert [r.status_code for r in answers] == [401, 403, 404, 422, 422]
    for response in answers:
        jsonschema.validate(response.get_json(), error_schema)


def test_datetimes_carry_their_time_zone(client: FlaskClient, demo: None) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    expires = spec["components"]["schemas"]["TokenResponse"]["properties"]["expires_at"]
    assert expires["format"] == "date-time"
    response = client.post(
        "/api/v1/auth/token", json={"username": "vanthu", "password": DEMO_PASSWORD}
    )
    assert response.get_json()["expires_at"].endswith("+00:00")


def test_a_multipart_upload_is_read_with_its_fields(client: FlaskClient, demo: None) -> None:
    bearer = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    response = client.post(
        "/api/v1/incoming/analyse",
        headers=bearer,
        data={"received_via": "paper", "file": (io.BytesIO(b"not a pdf"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] != "validation_error"  # read, then refused


# --- schemathesis: generated requests against the live app -------------------------------


def _seed(client: FlaskClient, clerk: dict[str, str]) -> None:
    """A few real records, so lists and look-ups answer with bodies, not only 404s."""
    for number in ("15/STC-NS", "7/SYT-KHTC"):
        response = client.post(
            "/api/v1/incoming",
            headers=clerk,
            content_type="multipart/form-data",
            data={
                "sender_org": "Sở Tài chính tỉnh Demo",
                "number_notation": number,
                "doc_type": "CV",
                "subject": f"Văn bản {number}",
                "received_via": "paper",
                "received_at": "2026-01-12T09:30:00+07:00",
                "file": (io.BytesIO(blank_pdf(number)), "vb.pdf"),
            },
        )
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["received_at"] == "2026-01-12T02:30:00+00:00"
    response = client.post(
        "/api/v1/outgoing",
        headers=clerk,
        content_type="multipart/form-data",
        data={
            "doc_type": "CV",
            "subject": "Dự thảo công văn",
            "file": (io.BytesIO(blank_pdf("Du thao")), "du-thao.pdf"),
        },
    )
    assert response.status_code == 201, response.get_json()


@pytest.fixture(scope="module")
def clerk_app(
    tmp_path_factory: pytest.TempPathFactory, softhsm_tokens: Tokens
) -> Iterator[tuple[Flask, str]]:
    """Its own app and SQLite database: the generated requests change nothing others use.

    Configured as an installation is (agency token on SoftHSM2), so "not configured" 503s
    do not hide what the endpoints answer.
    """
    from edoc.core.migrate import upgrade
    from edoc.demo.agency import create_demo_agency

    base: Path = tmp_path_factory.mktemp("schemathesis")
    app = create_app(
        _settings(base / "var", f"sqlite:///{base / 'edoc.db'}"), overrides={"TESTING": True}
    )
    with app.app_context():
        upgrade()
        create_demo_agency(DEMO_PASSWORD)
        db.session.commit()
    token = api_token(app.test_client(), "vanthu")
    _seed(app.test_client(), {"Authorization": f"Bearer {token}"})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("EDOC_AGENCY_TOKEN_MODULE", softhsm_tokens.module)
        env.setenv("EDOC_AGENCY_TOKEN_LABEL", softhsm_tokens.agency_label)
        env.setenv("EDOC_AGENCY_TOKEN_CERT_LABEL", pki_labels.AGENCY)
        env.setenv("EDOC_AGENCY_TOKEN_PIN", softhsm_tokens.agency_pin)
        yield app, token
    with app.app_context():
        db.engine.dispose()


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_generated_requests_get_declared_answers(clerk_app: tuple[Flask, str]) -> None:
    app, token = clerk_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) == ("DELETE", "/api/v1/auth/token"):
            continue  # revoking the run's own token would turn every later call into a 401
        operations += 1

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:  # one line per operation, then the next operation
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:3000])
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
