"""What comes in is checked one package at a time, and no package blocks the others: one that
breaks a rule is refused with 02 and the reason, one that fails unexpectedly is tried again
after back-off and then marked failed, and later packages are checked meanwhile. Two drains
never both apply the check of one package."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import func, select, update

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.exchange import attempts, edxml, inbox, keys, outbox, receiving, worker
from edoc.exchange.models import ExchangeMessage
from edoc.incoming.models import IncomingDocument
from tests.app.exchange.test_inbox import (
    count,
    held_envelope,
    held_package,
    post_signed,
)
from tests.fixtures.exchange import Installation
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
    with stc.app.app_context():
        [answer] = db.session.scalars(
            select(ExchangeMessage).where(
                ExchangeMessage.about_message_id == bad_id, ExchangeMessage.direction == "out"
            )
        ).all()
        assert answer.status_code == "02"


def test_an_unexpected_failure_backs_off_then_fails_without_blocking_the_others(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    lost_id = "5b0f6f0e-0000-4000-8000-0000000000c2"
    lost = variant(tinh, package, lost_id, header=edxml.parse(package).header)
    object.__setattr__(stc.app.config["EDOC"], "exchange_max_attempts", 2)
    with stc.app.app_context():  # as a poller of another axis would bring them in
        inbox.accept_package(lost, via=tinh.organ_id)
        db.session.commit()
        inbox.accept_package(package, via=tinh.organ_id)
        db.session.commit()
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


def test_two_drains_checking_one_package_apply_it_once(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """The first drain's lease runs out during its slow check; a second drain checks the same
    package and takes it; the first one's result, arriving late, is dropped."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    with stc.app.app_context():
        inbox.accept_package(package, via=tinh.organ_id)
        db.session.commit()
        slow = outbox.new_holder()
        pk = outbox.claim_next(slow, to_check=True)
        assert pk is not None
        db.session.execute(  # its lease lapses while it checks
            update(ExchangeMessage)
            .where(ExchangeMessage.id == pk)
            .values(claimed_until=outbox.wall_clock() - timedelta(seconds=1))
        )
        db.session.commit()
        assert worker.drain().checked == 1  # the second drain
        report = attempts.DrainReport()
        receiving._check(pk, slow, report)  # the first drain's late result
        assert report.checked == 0 and report.errors
        assert db.session.scalar(select(func.count()).select_from(IncomingDocument)) == 1
        answers = db.session.scalars(
            select(ExchangeMessage.status_code).where(ExchangeMessage.direction == "out")
        ).all()
        assert answers == ["01"]


def test_a_second_drain_does_not_check_a_later_package_while_the_earlier_is_in_hand(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """Two drains at once (one per package arriving) take one sender's packages in order, so
    the later document is not registered before the earlier one."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    later = variant(tinh, package, "5b0f6f0e-0000-4000-8000-0000000000c3")
    with stc.app.app_context():
        for each in (package, later):
            inbox.accept_package(each, via=tinh.organ_id)
            db.session.commit()
        holder = outbox.new_holder()
        first = outbox.claim_next(holder, to_check=True)
        assert first is not None
        assert outbox.claim_next(outbox.new_holder(), to_check=True) is None
        receiving._check(first, holder, attempts.DrainReport())
        second = outbox.claim_next(outbox.new_holder(), to_check=True)
        assert second is not None and second > first
