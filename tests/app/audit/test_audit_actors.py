"""Every audit entry names who acted: a user, or the command/task and the operator."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.audit.services import Operator, record
from edoc.cli import cli
from edoc.core.extensions import db
from tests.fixtures.app import DEMO_PASSWORD, login

EDOC = Path(__file__).resolve().parents[3] / "edoc"
AUDIT_FUNCTIONS = {"record", "record_security_event"}
#: ``documents.records.audit(action, actor, document_id, **details)``: the actor comes second.
DOCUMENT_AUDIT = "audit"


def _audit_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(EDOC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in AUDIT_FUNCTIONS or name == DOCUMENT_AUDIT:
                calls.append((f"{path.relative_to(EDOC.parent)}:{node.lineno}", node))
    return calls


def test_every_audit_call_names_its_actor() -> None:
    calls = _audit_calls()
    assert len(calls) > 40  # the scan really finds the call sites
    missing = []
    for where, call in calls:
        actor = next((k.value for k in call.keywords if k.arg == "actor"), None)
        name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
        if name == DOCUMENT_AUDIT and actor is None and len(call.args) > 1:
            actor = call.args[1]
        if where.startswith("edoc/audit/services.py") and actor is not None:
            continue  # record_security_event passing its own actor on
        if actor is None or (isinstance(actor, ast.Constant) and actor.value is None):
            missing.append(where)
    assert missing == []


def test_an_entry_without_an_actor_is_refused(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(TypeError):
            record("test.event")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="audit actor must be"):
            record("test.event", actor=None)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            Operator(command=" ")


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_command_names_itself_and_the_operator(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUDO_USER", "nguyenvana")
    result = app.test_cli_runner().invoke(
        cli,
        ["user", "create", "chuyenvien2", "--full-name", "Lê Văn B", "--role", "specialist"],
        input="Mat-khau-dai-9\nMat-khau-dai-9\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        [event] = _events("user.created")
        assert (event.command, event.operator, event.actor_name) == (
            "edoc user create",
            "nguyenvana",
            "nguyenvana",
        )
        assert event.actor_id is None


def test_the_demo_names_itself(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from edoc.demo.agency import create_demo_agency

    monkeypatch.setenv("SUDO_USER", "tranthib")
    with app.app_context():
        create_demo_agency(DEMO_PASSWORD)
        events = _events("user.created") + _events("unit.created")
        assert events
        assert {(e.command, e.operator) for e in events} == {("edoc demo", "tranthib")}


def test_a_web_action_names_the_signed_in_user(app: Flask, client: FlaskClient, demo: None) -> None:
    login(client, "quantri")
    page = client.get("/admin/units").get_data(as_text=True)
    from tests.fixtures.app import csrf_token_from

    response = client.post(
        "/admin/units",
        data={"code": "PX", "name": "Phòng X", "parent_id": 0, "csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 302
    with app.app_context():
        [event] = [e for e in _events("unit.created") if e.details.get("code") == "PX"]
        assert (event.actor_name, event.command, event.operator) == ("quantri", "", "")
        assert event.actor_id is not None


def test_the_audit_page_shows_command_and_operator(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    with app.app_context():
        record("test.event", actor=Operator(command="edoc import-package", operator="root"))
        db.session.commit()
    login(client, "quantri")
    html = client.get("/admin/audit/?action=test.").get_data(as_text=True)
    assert "<code>edoc import-package</code>" in html
    assert "root" in html
