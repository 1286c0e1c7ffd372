"""A worker's claim on a package lasts while the worker works on it and no longer: it is
renewed while a slow check runs, so no other worker checks the package meanwhile; and a worker
that stalled past its claim records nothing over the outcome of the worker that took over."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from edoc.audit.services import Operator
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.exchange import attempts, delivery, operations, outbox, receiving
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.outbox import Step
from tests.fixtures.exchange import Installation, claimed, held_package, lapse, take_in
from tests.fixtures.pki import Tokens

LEASE_SECONDS = 3
OPERATOR = Operator.cli("test")


def test_a_claim_is_renewed_while_a_slow_check_runs(
    pair: dict[str, Installation], softhsm_tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check outlasts the claim (here 3 s; a hostile PDF may take minutes against the
    default 300 s): another worker looking for work meanwhile finds none, and the package is
    checked once."""
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    object.__setattr__(stc.app.config["EDOC"], "exchange_lease_seconds", LEASE_SECONDS)
    claimed_meanwhile: list[int | None] = []
    held_until: list[datetime] = []

    def another_worker_looks() -> None:
        with stc.app.app_context():
            claimed_meanwhile.append(outbox.claim_next(outbox.new_holder(), Step.VERIFY))
            held_until.append(db.session.get(ExchangeMessage, pk).claimed_until)

    checks = receiving._verify

    def slow_check(*args: Any, **kwargs: Any) -> receiving.Verdict:
        time.sleep(LEASE_SECONDS * 1.5)  # past the claim's first expiry
        looking = threading.Thread(target=another_worker_looks)
        looking.start()
        looking.join()
        return checks(*args, **kwargs)

    monkeypatch.setattr(receiving, "_verify", slow_check)
    with stc.app.app_context():
        take_in(tinh, package)
        pk, holder = claimed(Step.VERIFY)
        first_expiry = db.session.get(ExchangeMessage, pk).claimed_until
        assert first_expiry < outbox.wall_clock() + timedelta(seconds=LEASE_SECONDS + 1)
        db.session.commit()
        report = attempts.DrainReport()
        receiving.verify_one(pk, holder, report)
        assert claimed_meanwhile == [None]
        assert held_until[0] > first_expiry  # renewed while it checked
        assert report.checked == 1 and not report.errors
        row = db.session.get(ExchangeMessage, pk, populate_existing=True)
        assert row.state == "verified" and row.claimed_by is None


def test_a_worker_that_stalled_while_delivering_records_nothing_over_the_next_ones_outcome(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """The first worker stalls past its claim; a second delivers the package; then the first
    wakes up and its own delivery fails (the recipient is down by then). The package stays
    delivered, with no error and no retry planned."""
    tinh, stc = pair["tinh"], pair["stc"]
    held_package(pair, softhsm_tokens)
    with tinh.app.app_context():
        pk, stalled = claim_the_waiting_package()
        lapse(pk)
        second = outbox.new_holder()
        assert outbox.claim_next(second, Step.DELIVER) == pk
        delivered = attempts.DrainReport()
        delivery.deliver_one(pk, second, None, delivered)
        assert delivered.delivered == 1, delivered.errors

        stc.stop()
        late = attempts.DrainReport()
        delivery.deliver_one(pk, stalled, None, late)
        assert late.failed == 0 and late.delivered == 0 and late.errors
        row = db.session.get(ExchangeMessage, pk, populate_existing=True)
        assert (row.state, row.last_error, row.next_attempt_at) == ("delivered", "", None)
        assert row.attempts == 1  # the failed try while the department was down, not this one


def test_a_package_being_sent_cannot_be_given_up_and_a_late_failure_leaves_it_given_up(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """While a worker sends a package, the operator's "give up" is refused (the package may
    be arriving); a package given up all the same at that very moment keeps the operator's
    reason, whatever the worker's attempt then reports."""
    tinh, stc = pair["tinh"], pair["stc"]
    held_package(pair, softhsm_tokens)
    with tinh.app.app_context():
        pk, sending = claim_the_waiting_package()
        with pytest.raises(AppError) as refused:
            operations.give_up(db.session.get(ExchangeMessage, pk), "không gửi nữa", OPERATOR)
        assert (refused.value.code, refused.value.status) == ("in_flight", 409)
        db.session.rollback()

        db.session.execute(  # the operator's give-up landing as the claim is taken
            update(ExchangeMessage)
            .where(ExchangeMessage.id == pk)
            .values(state="given_up", last_error="không gửi nữa")
        )
        db.session.commit()
        stc.stop()
        report = attempts.DrainReport()
        delivery.deliver_one(pk, sending, None, report)
        assert report.failed == 0 and report.errors
        row = db.session.get(ExchangeMessage, pk, populate_existing=True)
        assert (row.state, row.last_error, row.claimed_by) == ("given_up", "không gửi nữa", None)


def claim_the_waiting_package() -> tuple[int, str]:
    """Claim for delivery the one package waiting (sent while its recipient was down), due now:
    its row and the claiming worker's id."""
    db.session.execute(update(ExchangeMessage).values(next_attempt_at=None))
    db.session.commit()
    return claimed(Step.DELIVER)
