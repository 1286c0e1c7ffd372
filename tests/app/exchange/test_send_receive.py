"""Issue → send → the other installation receives it as incoming mail, byte for byte, with
both signature checks, and statuses come back to the sender's timeline."""

from __future__ import annotations

from sqlalchemy import select

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.operations import timeline
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


def test_routing_progress_and_done_reach_the_sender(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    document_id, dispatch_id = sent_to_stc(pair, softhsm_tokens)
    client = stc.client
    with stc.app.app_context():
        incoming_id = arrived(stc).document_id
    clerk, leader = bearer(client, "vanthu"), bearer(client, "lanhdao")
    specialist = bearer(client, "chuyenvien")
    assert (
        client.post(f"/api/v1/incoming/{incoming_id}/register", headers=clerk, json={}).status_code
        == 200
    )
    me = client.get("/api/v1/me", headers=specialist).get_json()["id"]
    routed = client.post(
        f"/api/v1/incoming/{incoming_id}/route",
        json={"direction": "Giao chuyên viên tham mưu", "lead_user_id": me},
        headers=leader,
    )
    assert routed.status_code == 200, routed.get_json()
    [task] = client.get("/api/v1/tasks", headers=specialist).get_json()
    for text, done in (("Đang dự thảo", False), ("Thêm ý kiến", False), ("Đã trả lời", True)):
        answer = client.post(
            f"/api/v1/tasks/{task['id']}/progress", json={"text": text, "done": done},
            headers=specialist,
        )  # fmt: skip
        assert answer.status_code == 200
    assert codes(tinh, dispatch_id) == ["01", "03", "04", "05", "06"]
    with tinh.app.app_context():
        assert db.session.get(Dispatch, dispatch_id).status == "done"
        events = timeline(dispatch_id)
        assert events[1].arrival_number == "1"
    # The same timeline for other systems, and for no one who may not see the document.
    path = f"/api/v1/exchange/documents/{document_id}/dispatches"
    [recipient] = tinh.client.get(path, headers=bearer(tinh.client, "vanthu")).get_json()
    assert recipient["organ_code"] == stc.organ_id and recipient["delivery"] == "sent"
    assert [s["code"] for s in recipient["statuses"]] == ["01", "03", "04", "05", "06"]
    assert recipient["statuses"][1]["arrival_number"] == "1"
    assert recipient["statuses"][0]["occurred_at"].endswith("+00:00")
    assert tinh.client.get(path).status_code == 401
    assert (
        tinh.client.get(
            "/api/v1/exchange/documents/999999/dispatches", headers=bearer(tinh.client, "vanthu")
        ).status_code
        == 404
    )


def test_returned_document_answers_02_with_the_reason(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    _document_id, dispatch_id = sent_to_stc(pair, softhsm_tokens)
    with stc.app.app_context():
        incoming_id = arrived(stc).document_id
    returned = stc.client.post(
        f"/api/v1/incoming/{incoming_id}/return",
        json={"reason": "Gửi nhầm cơ quan"},
        headers=bearer(stc.client, "vanthu"),
    )
    assert returned.status_code == 200, returned.get_json()
    with tinh.app.app_context():
        events = timeline(dispatch_id)
        assert [e.status_code for e in events] == ["01", "02"]
        assert events[-1].description == "Gửi nhầm cơ quan"
        assert db.session.get(Dispatch, dispatch_id).status == "refused"
