"""The clerk issues leader-signed documents: number, date, agency seal; failures void the number."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edoc.cli import cli
from tests.fixtures.app import api_token, login
from tests.fixtures.documents import corrupt_blob, issue, signed_drafts
from tests.fixtures.pdfs import pdf_text
from tests.fixtures.pki import Tokens


def test_issue_two_then_verify_pdf(
    trusted_app: Flask, client: FlaskClient, demo: None, agency_token: Tokens, tmp_path: Path
) -> None:
    ids = signed_drafts(client, agency_token, 2)
    clerk = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    result = issue(client, clerk, ids)
    assert result["failed"] == {}
    assert [r["number_notation"] for r in result["issued"]] == ["01/QĐ-UBND", "02/QĐ-UBND"]
    issued = client.get("/api/v1/outgoing?status=issued", headers=clerk).get_json()
    assert sorted(item["id"] for item in issued["items"]) == ids

    pdf = tmp_path / "01.pdf"
    pdf.write_bytes(client.get(f"/api/v1/documents/{ids[0]}/file", headers=clerk).data)
    verify = trusted_app.test_cli_runner().invoke(cli, ["verify-pdf", str(pdf), "--json"])
    assert verify.exit_code == 0, verify.output
    import json

    report = json.loads(verify.output)
    assert [s["ok"] for s in report["signatures"]] == [True, True]
    assert report["signatures"][0]["modification_level"] == "FORM_FILLING"
    assert report["signatures"][0]["signer_name"] == "Nguyễn Văn An"
    assert report["signatures"][1]["modification_level"] == "NONE"
    text = pdf_text(pdf.read_bytes())
    assert "Số: 01/QĐ-UBND" in text
    assert "ngày" in text and "năm" in text

    # one byte changed in storage: validation and the download refuse it
    sha = client.get(f"/api/v1/documents/{ids[0]}", headers=clerk).get_json()["files"][-1]["sha256"]
    data = corrupt_blob(trusted_app, sha)
    tampered = client.get(f"/api/v1/documents/{ids[0]}/file", headers=clerk)
    assert tampered.status_code == 500
    assert tampered.get_json()["error"]["code"] == "integrity_error"
    login(client, "vanthu")
    page = client.get(f"/outgoing/{ids[0]}").get_data(as_text=True)
    assert 'data-testid="integrity-alert"' in page and "mã băm SHA-256 không còn khớp" in page
    assert 'data-testid="integrity-alert"' not in client.get(f"/outgoing/{ids[1]}").get_data(
        as_text=True
    )
    tampered_copy = tmp_path / "sua.pdf"
    tampered_copy.write_bytes(bytes(data))
    assert trusted_app.test_cli_runner().invoke(
        cli, ["verify-pdf", str(tampered_copy)]
    ).exit_code in (1, 2)


def test_failed_issue_voids_its_number(
    trusted_app: Flask,
    client: FlaskClient,
    demo: None,
    agency_token: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = signed_drafts(client, agency_token, 1)
    clerk = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    monkeypatch.setenv("EDOC_AGENCY_TOKEN_PIN", "000000")
    failed = issue(client, clerk, ids)
    assert failed["issued"] == [] and str(ids[0]) in failed["failed"]
    assert client.get(f"/api/v1/documents/{ids[0]}", headers=clerk).get_json()["status"] == "signed"
    monkeypatch.setenv("EDOC_AGENCY_TOKEN_PIN", agency_token.agency_pin)
    again = issue(client, clerk, ids)
    assert again["issued"] == [{"id": ids[0], "number_notation": "02/QĐ-UBND"}]
    register = client.get("/outgoing/register?from=01/01/2000&to=31/12/2099&format=xlsx")
    assert register.status_code in (200, 302)
    from sqlalchemy import select

    from edoc.core.extensions import db
    from edoc.outgoing.models import NumberAllocation

    with trusted_app.app_context():
        rows = db.session.execute(select(NumberAllocation.number, NumberAllocation.status)).all()
    assert sorted(rows) == [(1, "void"), (2, "issued")]
