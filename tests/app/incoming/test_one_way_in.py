"""One way in for incoming documents (issue 15, item 10): whoever brings a document in (the
clerk's upload, a dispatch between agencies of this installation, a package import, the demo)
goes through ``incoming.services.receive``, with its checks, its signature rule and its audit."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.extensions import db
from edoc.incoming.models import IncomingDocument
from tests.fixtures.app import api_token, other_installation
from tests.fixtures.documents import (
    archived_elsewhere,
    import_package,
    internal_agency,
    issued_document,
    post_incoming,
    send,
)
from tests.fixtures.pki import Tokens
from tests.fixtures.selfsigned import make_signed_pdf

REPO = Path(__file__).resolve().parents[3]


def _builds_incoming(node: ast.Call) -> bool:
    """``IncomingDocument(...)``, or a ``Document(...)`` given an incoming direction."""
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    if name == "IncomingDocument":
        return True
    return name == "Document" and any(
        keyword.arg == "direction" and "INCOMING" in ast.dump(keyword.value)
        for keyword in node.keywords
    )


def test_nothing_outside_incoming_builds_an_incoming_document() -> None:
    offenders = []
    for path in sorted((REPO / "edoc").rglob("*.py")):
        if (REPO / "edoc" / "incoming") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _builds_incoming(node):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == [], "incoming documents are created by incoming.services.receive only"


def _received_events(app: Flask, document_id: int) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "incoming.received",
                    AuditEvent.object_id == str(document_id),
                )
            )
        )


def test_a_dispatched_document_is_checked_and_audited_on_receipt(
    trusted_app: Flask,
    client: FlaskClient,
    demo: None,
    agency_token: Tokens,
) -> None:
    document_id, clerk = issued_document(client, agency_token)
    organization = internal_agency(client)
    sent = send(client, clerk, document_id, [organization["id"]])
    assert sent.status_code == 200, sent.get_json()
    received_id = sent.get_json()["dispatches"][0]["incoming_document_id"]

    [event] = _received_events(trusted_app, received_id)
    assert event.actor_name == "vanthu"
    assert event.details["source"] == "dispatch"
    assert event.details["via"] == "electronic"
    assert event.details["signatures"] == "ok"
    with trusted_app.app_context():
        incoming = db.session.get(IncomingDocument, received_id)
        report = incoming.document.main_file.signature_report
        assert report["verdict"] == "ok" and len(report["signatures"]) == 2
        assert incoming.arrival_number is None  # the receiving clerk registers it
        assert incoming.recipient == "Sở Nội vụ tỉnh Demo"


def test_an_imported_arrival_is_checked_here_and_audited(
    app: Flask, client: FlaskClient, demo: None, tmp_path: Path
) -> None:
    """The package says the signature was good; this installation does not trust its signer,
    so its own check says otherwise, and that is what the imported document carries."""
    pdf, root = make_signed_pdf(tmp_path, "Trần Văn Bình")
    trust = app.config["EDOC"].data_dir / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    shutil.copy(root, trust / "root.pem")
    clerk = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    received = post_incoming(
        client, clerk, pdf.read_bytes(), received_via="electronic", signer_name=""
    )
    assert received.status_code == 201, received.get_json()
    assert received.get_json()["document"]["signature_verdict"] == "ok"
    arrival = (received.get_json()["arrival_year"], received.get_json()["arrival_number"])
    ids = [received.get_json()["id"]]
    other, package = archived_elsewhere(
        app, tmp_path, "07.TC", "Hồ sơ quyết toán", ids, retention_years=10
    )

    with other.app_context():
        [incoming] = db.session.scalars(select(IncomingDocument)).all()
        assert (incoming.arrival_year, incoming.arrival_number) == arrival
        report = incoming.document.main_file.signature_report
        assert report["verdict"] != "ok"  # checked here, not copied from chu-ky.json
        document_id = incoming.document_id
    [event] = _received_events(other, document_id)
    assert event.details["source"] == "package"
    assert event.details["signatures"] == report["verdict"]
    assert event.details["arrival_number"] == arrival[1]

    # An installation that trusts the signer finds what the package says: the archived report
    # is kept byte for byte (export → import → export stays identical).
    trusting = other_installation(tmp_path, "tin")
    (tmp_path / "tin" / "trust").mkdir(parents=True)
    shutil.copy(root, tmp_path / "tin" / "trust" / "root.pem")
    import_package(trusting, package)
    [claimed] = [json.loads(p.read_text()) for p in package.rglob("chu-ky.json")]
    with trusting.app_context():
        [incoming] = db.session.scalars(select(IncomingDocument)).all()
        assert incoming.document.main_file.signature_report == claimed
