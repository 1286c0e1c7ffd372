"""What comes in is checked by as many drains as run, a sender's later packages too, and the
results are applied in the order received from each sender; no package blocks the others: one
that breaks a rule is refused with 02 and the reason, one that fails unexpectedly is tried
again after back-off and then marked failed, and later packages are checked and applied
meanwhile. Two drains never both apply the result of one package."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.documents.models import DocumentFile
from edoc.exchange import attempts, edxml, keys, outbox, receiving, worker
from edoc.exchange.models import ExchangeMessage, ExchangeStatusEvent
from edoc.exchange.outbox import Step
from edoc.incoming.models import IncomingDocument
from tests.fixtures.exchange import (
    Installation,
    claimed,
    count,
    held_envelope,
    held_package,
    lapse,
    post_signed,
    take_in,
)
from tests.fixtures.pki import Tokens


def variant(by: Installation, package: bytes, message_id: str, **changes: object) -> bytes:
    """Another package with ``package``'s header under a new message id, sealed by ``by``."""
    envelope = edxml.parse(package)
    assert isinstance(envelope, edxml.Envelope)
    changed = dataclasses.replace(envelope, message_id=message_id, **changes)
    with by.app.app_context():
        return edxml.build(keys.seal(changed))


def incoming_row(installation: Installation, message_id: str) -> ExchangeMessage:
    with installation.app.app_context():
        row = db.session.scalar(
            select(ExchangeMessage).where(
                ExchangeMessage.message_id == message_id, ExchangeMessage.direction == "in"
            )
        )
        db.session.expunge(row)
        return row


def test_a_package_that_breaks_a_rule_is_refused_and_later_ones_are_checked(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    package, envelope = held_envelope(pair, softhsm_tokens)
    first, *rest = envelope.attachments
    not_pdf = dataclasses.replace(first, data=b"<html>not a PDF</html>")
    bad_id = "5b0f6f0e-0000-4000-8000-0000000000c1"
    bad = variant(tinh, package, bad_id, attachments=(not_pdf, *rest))
    assert post_signed(tinh, stc, bad).status_code == 202
    assert post_signed(tinh, stc, package).status_code == 202
    assert stc.cli("exchange", "deliver").exit_code == 0
    refused = incoming_row(stc, bad_id)
    assert refused.state == "refused" and refused.last_error, refused.last_error
    assert incoming_row(stc, envelope.message_id).state == "processed"
    assert count(stc, IncomingDocument) == 1
    assert answer_about(stc, bad_id).status_code == "02"


def answer_about(installation: Installation, message_id: str) -> ExchangeMessage:
    """The one status package ``installation`` sent about package ``message_id``."""
    with installation.app.app_context():
        [answer] = db.session.scalars(
            select(ExchangeMessage).where(
                ExchangeMessage.about_message_id == message_id,
                ExchangeMessage.direction == "out",
            )
        ).all()
        db.session.expunge(answer)
        return answer


def test_an_unexpected_failure_backs_off_then_fails_without_blocking_the_others(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    lost_id = "5b0f6f0e-0000-4000-8000-0000000000c2"
    lost = variant(tinh, package, lost_id, header=edxml.parse(package).header)
    object.__setattr__(stc.app.config["EDOC"], "exchange_max_attempts", 2)
    with stc.app.app_context():  # as a poller of another axis would bring them in
        take_in(tinh, lost, package)
        row = db.session.scalar(
            select(ExchangeMessage).where(ExchangeMessage.message_id == lost_id)
        )
        sha256 = row.package_sha256
        db.session.commit()
        blob_store().delete(sha256, unreferenced=True)  # its bytes lost: not the sender's fault

    assert stc.cli("exchange", "deliver").exit_code == 0
    waiting = incoming_row(stc, lost_id)
    assert waiting.state == "received" and waiting.attempts == 1 and waiting.next_attempt_at
    assert count(stc, IncomingDocument) == 1  # the next package was checked meanwhile

    assert stc.cli("exchange", "deliver").exit_code == 0
    assert incoming_row(stc, lost_id).attempts == 1  # not due yet: left alone

    with stc.app.app_context():
        db.session.execute(
            update(ExchangeMessage)
            .where(ExchangeMessage.message_id == lost_id)
            .values(next_attempt_at=outbox.wall_clock() - timedelta(seconds=1))
        )
        db.session.commit()
    assert stc.cli("exchange", "deliver").exit_code == 0
    failed = incoming_row(stc, lost_id)
    assert failed.state == "failed" and failed.attempts == 2 and failed.last_error
    refusal = answer_about(stc, lost_id)  # its sender is told, not the error's details
    assert (refusal.status_code, refusal.to_organ) == ("02", tinh.organ_id)
    with stc.app.app_context():
        event = db.session.scalar(
            select(ExchangeStatusEvent).where(ExchangeStatusEvent.message_pk == failed.id)
        )
        assert (event.status_code, event.description) == (
            "02",
            "Hệ thống nhận không xử lý được gói tin.",
        )


def test_two_drains_checking_one_package_apply_it_once(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """The first drain's lease runs out during its slow check and a second drain claims the
    package to check it; the first one's verdict, arriving while the second still checks, is
    dropped (the row is still ``received``: only the lease tells them apart); the second
    one's is kept and applied, once."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    with stc.app.app_context():
        take_in(tinh, package)
        pk, slow = claimed(Step.VERIFY)
        lapse(pk)  # its lease lapses while it checks
        second = outbox.new_holder()
        assert outbox.claim_next(second, Step.VERIFY) == pk  # and another drain checks it

        report = attempts.DrainReport()
        receiving.verify_one(pk, slow, report)  # the first drain's late verdict
        assert report.checked == 0 and report.errors
        assert db.session.get(ExchangeMessage, pk, populate_existing=True).state == "received"

        finished = attempts.DrainReport()
        receiving.verify_one(pk, second, finished)
        assert finished.checked == 1 and not finished.errors
        assert worker.drain().applied == 1
        assert worker.drain().applied == 0
        assert_one_document_and_one_01()


def test_a_drain_whose_lease_ran_out_while_applying_does_not_apply_twice(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """The first drain stalls before applying and its lease runs out; a second drain claims
    the verified row to apply it; the first one's late attempt, while the row is still
    ``verified``, is dropped; the second applies it, once."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    with stc.app.app_context():
        take_in(tinh, package)
        pk, checker = claimed(Step.VERIFY)
        receiving.verify_one(pk, checker, attempts.DrainReport())
        slow = outbox.new_holder()
        assert outbox.claim_next(slow, Step.APPLY) == pk
        lapse(pk)  # it stalls before its transaction
        second = outbox.new_holder()
        assert outbox.claim_next(second, Step.APPLY) == pk  # another drain takes the row over

        report = attempts.DrainReport()
        receiving.apply_one(pk, slow, report)
        assert report.applied == 0 and report.errors
        assert db.session.get(ExchangeMessage, pk, populate_existing=True).state == "verified"

        finished = attempts.DrainReport()
        receiving.apply_one(pk, second, finished)
        assert finished.applied == 1 and not finished.errors
        assert worker.drain().applied == 0
        assert_one_document_and_one_01()


def test_a_later_package_is_checked_while_the_earlier_is_in_hand_and_applied_after_it(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """Two drains at once (one per package arriving): the second checks the sender's later
    package while the first still checks the earlier one; the later verdict, ready first,
    waits, and the documents are created in the order the packages were received."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    later_id = "5b0f6f0e-0000-4000-8000-0000000000c3"
    later = variant(tinh, package, later_id)
    earlier_id = edxml.parse(package).message_id
    with stc.app.app_context():
        take_in(tinh, package, later)
        first, first_drain = claimed(Step.VERIFY)  # its check takes a while

        second_drain = worker.drain()  # meanwhile, on another worker thread
        assert (second_drain.checked, second_drain.applied) == (1, 0)
        assert state(earlier_id) == "received"  # still in the first drain's hands
        assert state(later_id) == "verified"  # checked, waiting for its turn
        assert db.session.scalar(select(func.count()).select_from(IncomingDocument)) == 0
        assert outbox.claim_next(outbox.new_holder(), Step.APPLY) is None

        receiving.verify_one(first, first_drain, attempts.DrainReport())  # the first check ends
        assert worker.drain().applied == 2
        created = db.session.execute(
            select(ExchangeMessage.message_id, ExchangeMessage.document_id)
            .where(ExchangeMessage.direction == "in")
            .order_by(ExchangeMessage.id)
        ).all()
        assert [m for m, _d in created] == [earlier_id, later_id]
        earlier_document, later_document = (d for _m, d in created)
        assert earlier_document < later_document
        arrivals = (
            db.session.execute(
                select(IncomingDocument.document_id).order_by(
                    IncomingDocument.received_at, IncomingDocument.document_id
                )
            )
            .scalars()
            .all()
        )
        assert arrivals == [earlier_document, later_document]
        answered = db.session.scalars(
            select(ExchangeMessage.about_message_id)
            .where(ExchangeMessage.direction == "out", ExchangeMessage.status_code == "01")
            .order_by(ExchangeMessage.id)
        ).all()
        assert answered == [earlier_id, later_id]


def test_the_files_a_waiting_verdict_refers_to_are_kept_by_gc(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """Between its check and its turn, only the verdict refers to the files the check stored:
    ``edoc gc`` keeps them, so the document created later has its files."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    with stc.app.app_context():
        take_in(tinh, package)
        pk, checker = claimed(Step.VERIFY)
        receiving.verify_one(pk, checker, attempts.DrainReport())
        assert state(edxml.parse(package).message_id) == "verified"
        collected = stc.cli("gc", "--grace-hours", "0")
        assert collected.exit_code == 0, collected.output
        assert worker.drain().applied == 1
        stored = db.session.scalars(select(DocumentFile.sha256)).all()
        assert stored
        for sha256 in stored:
            assert blob_store().exists(sha256), sha256


def assert_one_document_and_one_01() -> None:
    assert db.session.scalar(select(func.count()).select_from(IncomingDocument)) == 1
    answers = db.session.scalars(
        select(ExchangeMessage.status_code).where(ExchangeMessage.direction == "out")
    ).all()
    assert answers == ["01"]


def state(message_id: str) -> str:
    return db.session.scalar(
        select(ExchangeMessage.state).where(ExchangeMessage.message_id == message_id)
    )


def test_a_drain_that_lost_its_lease_does_not_record_its_failure_on_the_row(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """A drain checks a package slowly and its lease lapses; another drain claims and checks
    it (verified, waiting for its turn); then the first one's check fails (its read of the
    package breaks). That late failure is not recorded on the verified row: no back-off, so
    the sender's later package is not applied before it."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    later_id = "5b0f6f0e-0000-4000-8000-0000000000c4"
    later = variant(tinh, package, later_id)
    earlier_id = edxml.parse(package).message_id
    with stc.app.app_context():
        take_in(tinh, package, later)
        pk, slow = claimed(Step.VERIFY)
        lapse(pk)  # its lease lapses while it checks
        other = outbox.new_holder()
        assert outbox.claim_next(other, Step.VERIFY) == pk
        receiving.verify_one(pk, other, attempts.DrainReport())
        sha256 = db.session.get(ExchangeMessage, pk).package_sha256
        db.session.commit()
        blob_store().delete(sha256, unreferenced=True)  # the slow drain's read of it now fails

        report = attempts.DrainReport()
        receiving.verify_one(pk, slow, report)
        assert report.checked == 0 and report.errors
        row = db.session.get(ExchangeMessage, pk, populate_existing=True)
        assert (row.state, row.attempts, row.next_attempt_at) == ("verified", 0, None)
        assert row.last_error == ""

        assert worker.drain().applied == 2
        created = db.session.scalars(
            select(ExchangeMessage.message_id)
            .where(ExchangeMessage.direction == "in")
            .order_by(ExchangeMessage.document_id)
        ).all()
        assert created == [earlier_id, later_id]


@pytest.mark.parametrize("recall_document_id", ["the original's", "its own"])
def test_a_recall_waits_for_its_original_in_back_off_and_the_document_ends_recalled(
    pair: dict[str, Installation], softhsm_tokens: Tokens, recall_document_id: str
) -> None:
    """The original waits out a back-off after a transient failure while the sender's recall
    of it is checked: the recall is not applied before the original (it would find nothing to
    recall, and the original would then be created active); once the original is applied,
    the recall is, and the document ends recalled. The recall's header names the original's
    DocumentId (as edoc sends it) or, as another system may, one of its own, the original
    named only in its ReplacementInfo."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, envelope = held_envelope(pair, softhsm_tokens)
    recall_id = "5b0f6f0e-0000-4000-8000-0000000000c5"
    original = envelope.header.document_id
    recall = dataclasses.replace(
        envelope,
        message_id=recall_id,
        attachments=(),
        header=dataclasses.replace(
            envelope.header,
            business=edxml.Business(1, "Thu hồi", (original,)),
            document_id=original if recall_document_id == "the original's" else f"{original}-TH",
        ),
    )
    with tinh.app.app_context():
        recall_package = edxml.build(keys.seal(recall))
    with stc.app.app_context():
        take_in(tinh, package, recall_package)
        db.session.execute(  # as after a transient failure of its first check
            update(ExchangeMessage)
            .where(ExchangeMessage.message_id == envelope.message_id)
            .values(attempts=1, next_attempt_at=outbox.wall_clock() + timedelta(hours=1))
        )
        db.session.commit()

        report = worker.drain()
        assert (report.checked, report.applied) == (1, 0)
        assert state(recall_id) == "verified"  # checked, waiting for its original
        assert state(envelope.message_id) == "received"
        assert db.session.scalar(select(func.count()).select_from(IncomingDocument)) == 0

        db.session.execute(  # the back-off ends
            update(ExchangeMessage)
            .where(ExchangeMessage.message_id == envelope.message_id)
            .values(next_attempt_at=outbox.wall_clock() - timedelta(seconds=1))
        )
        db.session.commit()
        assert worker.drain().applied == 2
        assert state(envelope.message_id) == "processed"
        assert state(recall_id) == "processed"
        [incoming] = db.session.scalars(select(IncomingDocument)).all()
        assert incoming.document.status == "recalled"
        answers = db.session.scalars(
            select(ExchangeMessage.status_code)
            .where(ExchangeMessage.direction == "out")
            .order_by(ExchangeMessage.id)
        ).all()
        assert answers == ["01", "13"]


def test_a_recall_is_checked_first_and_does_not_wait_for_other_documents_of_its_sender(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """A sender's flood of documents is waiting to be checked when it recalls a document it
    sent earlier (already registered here): the recall is checked first and applied at once,
    not after the flood."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, envelope = held_envelope(pair, softhsm_tokens)
    header = envelope.header
    flood = []
    for n in (91, 92):
        other = dataclasses.replace(
            header,
            code_number=str(n),
            document_id=edxml.document_id_for(
                tinh.organ_id, header.promulgation_date, f"{n}/{header.code_notation}"
            ),
        )
        flood.append(variant(tinh, package, f"5b0f6f0e-0000-4000-8000-0000000000{n}", header=other))
    recall_id = "5b0f6f0e-0000-4000-8000-0000000000c6"
    recall = dataclasses.replace(
        envelope,
        message_id=recall_id,
        attachments=(),
        header=dataclasses.replace(
            header, business=edxml.Business(1, "Thu hồi", (header.document_id,))
        ),
    )
    with tinh.app.app_context():
        recall_package = edxml.build(keys.seal(recall))
    with stc.app.app_context():
        take_in(tinh, package)
        assert worker.drain().applied == 1  # the original, registered here
        take_in(tinh, *flood, recall_package)

        checker = outbox.new_holder()
        pk = outbox.claim_next(checker, Step.VERIFY)
        assert pk == incoming_row(stc, recall_id).id  # before the two documents sent before it
        receiving.verify_one(pk, checker, attempts.DrainReport())
        applier = outbox.new_holder()
        assert outbox.claim_next(applier, Step.APPLY) == pk  # the flood still unchecked
        receiving.apply_one(pk, applier, attempts.DrainReport())
        assert state(recall_id) == "processed"
        [incoming] = db.session.scalars(select(IncomingDocument)).all()
        assert incoming.document.status == "recalled"
        assert [state(message_id) for message_id in _ids(flood)] == ["received", "received"]


def _ids(packages: list[bytes]) -> list[str]:
    return [edxml.parse(package).message_id for package in packages]
