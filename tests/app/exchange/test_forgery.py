"""The seal is tied to the ``From`` agency: a connected peer cannot bring packages, recalls or
statuses in another agency's name, and a package brought by hand must be sealed by an agency
whose certificate is pinned here."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from edoc.core.extensions import db
from edoc.exchange import edxml, keys, queueing
from edoc.exchange.models import ExchangeMessage, ExchangeStatusEvent
from edoc.exchange.packages import this_organ
from edoc.incoming.models import IncomingDocument
from tests.fixtures.documents import issued_document
from tests.fixtures.exchange import Installation, count, held_envelope, held_package, post_signed
from tests.fixtures.pki import Tokens

#: Sở Nội vụ: connected to neither installation of the pair.
ELSEWHERE = edxml.Organ("000.00.13.H30", "Sở Nội vụ tỉnh Demo")


def resealed(by: Installation, package: bytes, **header: object) -> bytes:
    """``package`` with its header changed and sealed again with ``by``'s agency key."""
    envelope = edxml.parse(package)
    assert isinstance(envelope, edxml.Envelope)
    changed = dataclasses.replace(envelope, header=dataclasses.replace(envelope.header, **header))
    with by.app.app_context():
        return edxml.build(keys.seal(changed))


def test_a_peer_cannot_send_a_document_in_another_agencys_name(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    forged = resealed(tinh, package, from_organ=ELSEWHERE)
    answer = post_signed(tinh, stc, forged)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "sender_mismatch"
    assert count(stc, ExchangeMessage) == 0
    stc_drained = stc.cli("exchange", "deliver")
    assert stc_drained.exit_code == 0, stc_drained.output
    assert count(stc, IncomingDocument) == 0


def test_a_peer_cannot_recall_another_agencys_document(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    _package, envelope = held_envelope(pair, softhsm_tokens)
    recall = dataclasses.replace(
        envelope,
        message_id="5b0f6f0e-0000-4000-8000-0000000000a1",
        attachments=(),
        header=dataclasses.replace(
            envelope.header,
            from_organ=ELSEWHERE,
            business=edxml.Business(1, "Thu hồi", (envelope.header.document_id,)),
        ),
    )
    with tinh.app.app_context():
        forged = edxml.build(keys.seal(recall))
    answer = post_signed(tinh, stc, forged)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "sender_mismatch"
    assert count(stc, ExchangeMessage) == 0


def status_from(
    sender: Installation, to: Installation, about: ExchangeMessage, *, as_organ: edxml.Organ
) -> bytes:
    with sender.app.app_context():
        status = edxml.StatusMessage(
            message_id="5b0f6f0e-0000-4000-8000-0000000000b1",
            about_message_id=about.message_id,
            response_for=edxml.ResponseFor(
                to.organ_id, about.code, about.promulgation_date, about.edxml_document_id
            ),
            from_organ=as_organ,
            to_organ=edxml.Organ(to.organ_id, to.agency_name),
            status_code="03",
            description="",
            timestamp=datetime.now(UTC).replace(microsecond=0),
        )
        return edxml.build(keys.seal(status))


def test_statuses_come_only_from_the_organ_the_document_went_to(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    document_id, _clerk = issued_document(tinh.client, softhsm_tokens)
    with tinh.app.app_context():
        # a document for Sở Nội vụ (no route yet: it waits), which the department never saw
        about = queueing.queue_document(document_id, ELSEWHERE.organ_id)
        db.session.commit()
        db.session.refresh(about)
        db.session.expunge(about)
    # in Sở Nội vụ's name: refused at the door
    forged = status_from(stc, tinh, about, as_organ=ELSEWHERE)
    answer = post_signed(stc, tinh, forged)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "sender_mismatch"
    # in its own name, about a document sent to someone else: kept refused, not on the timeline
    with stc.app.app_context():
        own = this_organ()
    forged = status_from(stc, tinh, about, as_organ=own)
    answer = post_signed(stc, tinh, forged)
    assert answer.status_code == 202, answer.text
    assert tinh.cli("exchange", "deliver").exit_code == 0
    with tinh.app.app_context():
        kept = db.session.scalar(select(ExchangeMessage).where(ExchangeMessage.direction == "in"))
        assert kept.state == "refused" and stc.organ_id in kept.last_error
        assert db.session.scalar(select(func.count()).select_from(ExchangeStatusEvent)) == 0


def test_a_package_brought_by_hand_from_an_unknown_agency_may_bring_but_not_recall(
    pair: dict[str, Installation], softhsm_tokens: Tokens, tmp_path: Path
) -> None:
    """Files are for agencies that are not connected: a new document from one is taken (its
    seal verified against a trusted CA, unregistered for the clerk); a recall in its name is
    refused, since nothing ties its key to the organ it names."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    recall = tmp_path / "thu-hoi.edxml"
    recall.write_bytes(
        resealed(tinh, package, from_organ=ELSEWHERE, business=edxml.Business(1, "Sai"))
    )
    imported = stc.cli("exchange", "import", str(recall))
    assert imported.exit_code != 0
    assert "unverifiable_sender" in imported.output
    assert count(stc, ExchangeMessage) == 0

    new = tmp_path / "moi.edxml"
    new.write_bytes(resealed(tinh, package, from_organ=ELSEWHERE))
    taken = stc.cli("exchange", "import", str(new))
    assert taken.exit_code == 0, taken.output
    with stc.app.app_context():
        [incoming] = db.session.scalars(select(IncomingDocument)).all()
        assert incoming.status == "received"  # waits for the clerk to register it
