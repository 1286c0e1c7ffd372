"""Issue → send → the other installation receives it as incoming mail, byte for byte, with
both signature checks, and statuses come back to the sender's timeline."""

from __future__ import annotations

from sqlalchemy import select

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.services import timeline
from edoc.incoming.models import IncomingDocument
from edoc.outgoing.models import Dispatch
from tests.fixtures.app import bearer
from tests.fixtures.documents import issued_document, send
from tests.fixtures.exchange import Installation, directory_entry
from tests.fixtures.pki import Tokens


def codes(installation: Installation, dispatch_id: int) -> list[str]:
    with installation.app.app_context():
        return [event.status_code for event in timeline(dispatch_id)]


def sent_to_stc(pair: dict[str, Installation], softhsm_tokens: Tokens) -> tuple[int, int]:
    tinh = pair["tinh"]
    document_id, clerk = issued_document(tinh.client, softhsm_tokens)
    organization = directory_entry(tinh, pair["stc"])
    response = send(tinh.client, clerk, document_id, [organization])
    assert response.status_code == 200, response.get_json()
    with tinh.app.app_context():
        dispatch = db.session.scalar(select(Dispatch).where(Dispatch.document_id == document_id))
        return document_id, dispatch.id


def arrived(installation: Installation) -> IncomingDocument | None:
    return db.session.scalar(select(IncomingDocument))


def test_sent_document_arrives_byte_identical_and_statuses_come_back(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    document_id, dispatch_id = sent_to_stc(pair, softhsm_tokens)
    with tinh.app.app_context():
        sent = db.session.get(Document, document_id).main_file
        original = blob_store().open(sent.sha256).read()
    with stc.app.app_context():
        incoming = arrived(stc)
        assert incoming is not None
        main = incoming.document.main_file
        assert blob_store().open(main.sha256).read() == original
        assert main.signature_report["verdict"] == "ok"
        assert incoming.document.number_notation == "01/QĐ-UBND"
        message = db.session.scalar(
            select(ExchangeMessage).where(ExchangeMessage.direction == "in")
        )
        assert message.verification["envelope"]["ok"] is True
        assert message.verification["pdf"]["verdict"] == "ok"
        incoming_id = incoming.document_id
    assert codes(tinh, dispatch_id) == ["01"]
    with tinh.app.app_context():
        assert db.session.get(Dispatch, dispatch_id).status == "arrived"

    clerk = bearer(stc.client, "vanthu")
    registered = stc.client.post(f"/api/v1/incoming/{incoming_id}/register", headers=clerk, json={})
    assert registered.status_code == 200, registered.get_json()
    assert codes(tinh, dispatch_id) == ["01", "03"]
