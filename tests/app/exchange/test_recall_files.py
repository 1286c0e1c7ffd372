"""Recall reaches the recipient's system (its copy can no longer be handled, 13 confirmed), and
a package exported to a file imports elsewhere with its PDF byte for byte."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.operations import timeline
from edoc.incoming.models import IncomingDocument
from edoc.outgoing.models import Dispatch
from edoc.outgoing.sending import set_dispatch_status
from tests.fixtures.app import bearer
from tests.fixtures.documents import issued_document, send
from tests.fixtures.exchange import Installation, directory_entry
from tests.fixtures.pki import Tokens


def sent_then_recalled(tinh: Installation, stc: Installation, tokens: Tokens) -> int:
    """A document the province issued, sent to the department, then recalled; its id."""
    document_id, clerk = issued_document(tinh.client, tokens)
    assert send(tinh.client, clerk, document_id, [directory_entry(tinh, stc)]).status_code == 200
    recalled = tinh.client.post(
        f"/api/v1/outgoing/{document_id}/recall", json={"reason": "Sai thể thức"}, headers=clerk
    )
    assert recalled.status_code == 200, recalled.get_json()
    return document_id


def test_recall_marks_the_copy_recalled_and_13_comes_back(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    document_id = sent_then_recalled(tinh, stc, softhsm_tokens)
    with stc.app.app_context():
        incoming = db.session.scalar(select(IncomingDocument))
        assert incoming.document.status == "recalled"
        incoming_id = incoming.document_id
    registered = stc.client.post(
        f"/api/v1/incoming/{incoming_id}/register", headers=bearer(stc.client, "vanthu"), json={}
    )
    assert registered.status_code == 409
    with tinh.app.app_context():
        dispatch_id = tinh_dispatch(document_id)
        assert [e.status_code for e in timeline(dispatch_id)] == ["01", "13"]
        # A status that was on its way when the recall went out does not undo it.
        assert set_dispatch_status(dispatch_id, "accepted", "late").status == "recalled"
        assert db.session.get(Dispatch, dispatch_id).note != "late"


def tinh_dispatch(document_id: int) -> int:
    return db.session.scalar(select(Dispatch.id).where(Dispatch.document_id == document_id))


def test_export_then_import_round_trips(
    pair: dict[str, Installation], softhsm_tokens: Tokens, tmp_path: Path
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    stc.stop()  # not connected: the package goes by file
    document_id, _clerk = issued_document(tinh.client, softhsm_tokens)
    out = tmp_path / "goi.edxml"
    exported = tinh.cli(
        "exchange", "export", str(document_id), "--to", stc.organ_id, "-o", str(out)
    )
    assert exported.exit_code == 0, exported.output
    imported = stc.cli("exchange", "import", str(out))
    assert imported.exit_code == 0, imported.output
    assert "accepted" in imported.output
    with tinh.app.app_context():
        original = blob_store().open(db.session.get(Document, document_id).main_file.sha256).read()
    with stc.app.app_context():
        incoming = db.session.scalar(select(IncomingDocument))
        assert incoming.document.subject == "Quyết định ban hành số 0"
        assert incoming.document.number_notation == "01/QĐ-UBND"
        assert blob_store().open(incoming.document.main_file.sha256).read() == original
    again = stc.cli("exchange", "import", str(out))
    assert "already_received" in again.output


def test_a_clerk_brings_a_package_in_through_the_api(
    pair: dict[str, Installation], softhsm_tokens: Tokens, tmp_path: Path
) -> None:
    """``POST /api/v1/exchange/packages``: another system of the agency (or a clerk's script)
    hands a package over with a bearer token; the same checks as the inbox, once per package."""
    tinh, stc = pair["tinh"], pair["stc"]
    stc.stop()
    document_id, _clerk = issued_document(tinh.client, softhsm_tokens)
    out = tmp_path / "goi.edxml"
    assert (
        tinh.cli(
            "exchange", "export", str(document_id), "--to", stc.organ_id, "-o", str(out)
        ).exit_code
        == 0
    )
    package = out.read_bytes()
    client = stc.client
    xml = {"Content-Type": "application/xml"}

    assert client.post("/api/v1/exchange/packages", data=package, headers=xml).status_code == 401
    specialist = bearer(client, "chuyenvien") | xml
    refused = client.post("/api/v1/exchange/packages", data=package, headers=specialist)
    assert refused.status_code == 403
    clerk = bearer(client, "vanthu") | xml
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa">]><a>&a;</a>'
    hostile = client.post("/api/v1/exchange/packages", data=bomb, headers=clerk)
    assert hostile.status_code == 422
    assert hostile.get_json()["error"]["code"] == "xml_forbidden"
    with stc.app.app_context():
        assert db.session.scalar(select(IncomingDocument)) is None

    marked_secret = package.replace(
        b"<edoc:Secrecy>0</edoc:Secrecy>", b"<edoc:Secrecy>1</edoc:Secrecy>"
    )
    assert marked_secret != package
    secret = client.post("/api/v1/exchange/packages", data=marked_secret, headers=clerk)
    assert secret.status_code == 422
    assert secret.get_json()["error"]["code"] == "secret_not_accepted"
    with stc.app.app_context():
        assert db.session.scalar(select(ExchangeMessage)) is None

    first = client.post("/api/v1/exchange/packages", data=package, headers=clerk)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["result"] == "accepted"
    again = client.post("/api/v1/exchange/packages", data=package, headers=clerk)
    assert again.status_code == 200
    assert again.get_json() == {
        "message_id": first.get_json()["message_id"],
        "result": "already_received",
    }
    with stc.app.app_context():
        [incoming] = db.session.scalars(select(IncomingDocument)).all()
        assert incoming.document.number_notation == "01/QĐ-UBND"


def test_an_exported_package_is_not_also_sent_over_a_route(
    pair: dict[str, Installation], softhsm_tokens: Tokens, tmp_path: Path
) -> None:
    """A package exported for a recipient never sent to is handed over by file only: the worker
    does not send it too, even though a route to that recipient exists."""
    tinh, stc = pair["tinh"], pair["stc"]
    document_id, _clerk = issued_document(tinh.client, softhsm_tokens)
    out = tmp_path / "goi.edxml"
    exported = tinh.cli(
        "exchange", "export", str(document_id), "--to", stc.organ_id, "-o", str(out)
    )
    assert exported.exit_code == 0, exported.output
    assert tinh.cli("exchange", "deliver").exit_code == 0
    with tinh.app.app_context():
        [message] = db.session.scalars(select(ExchangeMessage)).all()
        assert message.state == "exported"
    with stc.app.app_context():
        assert db.session.scalar(select(ExchangeMessage)) is None
        assert db.session.scalar(select(IncomingDocument)) is None


def test_a_recall_before_delivery_stops_the_package_instead_of_chasing_it(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """The recipient's system is down, the package waits; the sender recalls: nothing has
    reached the recipient, so the package is given up (no revoke that could arrive first, no
    retry that would bring the document back)."""
    tinh, stc = pair["tinh"], pair["stc"]
    stc.stop()
    document_id = sent_then_recalled(tinh, stc, softhsm_tokens)
    with tinh.app.app_context():
        [original] = db.session.scalars(select(ExchangeMessage)).all()  # no revoke queued
        assert original.state == "given_up" and "thu hồi" in original.last_error
        assert db.session.get(Dispatch, tinh_dispatch(document_id)).status == "recalled"
        pk = original.id
    assert tinh.cli("exchange", "retry", original.message_id).exit_code != 0
    with tinh.app.app_context():
        assert db.session.get(ExchangeMessage, pk).state == "given_up"
