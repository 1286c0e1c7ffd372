"""The exchange queue: packages waiting to leave (out, forward) or to be checked (in), claimed
by the worker with a lease, delivered with retries and back-off, in order per next hop.

Never lose: a package row is written in the transaction of the change it reports (the
dispatch, the registration …); its bytes are built once, stored in the blob store, and every
retry sends exactly those bytes under the same message id. Never duplicate: the receiving side
keeps one row per message id (unique constraint), so a package delivered twice — the answer
lost, the sender retrying — creates nothing the second time.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased

from edoc.core import leases
from edoc.core.extensions import db
from edoc.core.metrics import DELIVERY_FAILURES
from edoc.exchange.models import Direction, ExchangeMessage, MessageState

LEASE = timedelta(minutes=5)
KICK = "edoc.exchange.kick"
wall_clock = leases.wall_clock
new_holder = leases.new_holder


#: Set when work outside a web request (a queued task) queued packages: the task's end asks
#: for a drain (``edoc.exchange.tasks``), so they do not wait for the minute's drain.
_asked_outside_request: ContextVar[bool] = ContextVar("edoc_exchange_kick", default=False)


def ask_for_drain() -> None:
    """Ask the worker to run once the current request (``init_exchange``) or task
    (``edoc.exchange.tasks``) ends, after its transaction, so the worker sees the rows."""
    db.session().info[KICK] = True
    _asked_outside_request.set(True)


def take_kick() -> bool:
    """Whether this request queued packages (and forget it)."""
    _asked_outside_request.set(False)
    return bool(db.session().info.pop(KICK, False))


def take_task_kick() -> bool:
    """Whether the task that just ran queued packages (and forget it)."""
    asked = _asked_outside_request.get()
    _asked_outside_request.set(False)
    return asked


def drained() -> None:
    """A drain ran until nothing was due: what it queued itself, it delivered."""
    db.session().info.pop(KICK, None)
    _asked_outside_request.set(False)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: doubling from
    ``EDOC_EXCHANGE_BACKOFF_SECONDS`` up to ``EDOC_EXCHANGE_BACKOFF_MAX_SECONDS``."""
    settings = current_app.config["EDOC"]
    schedule = leases.Backoff.doubling(
        timedelta(seconds=settings.exchange_backoff_seconds),
        timedelta(seconds=settings.exchange_backoff_max_seconds),
    )
    return schedule.after(attempts)


def claim_next(holder: str, *, to_check: bool) -> int | None:
    """Claim the next package: the oldest due for its checks whose sender has no earlier one
    being checked by another worker (``to_check``), or the oldest one due for delivery whose
    next hop has no earlier package still waiting. Packages from one sender are taken, and
    packages to one peer leave, in order: a later one does not overtake an earlier one still
    in hand or being retried; only an earlier one that failed its check and waits out its
    back-off is passed, so that one broken package does not hold up the rest. Commits."""
    leases.serialise_claims("edoc.exchange")
    now = wall_clock()
    earlier = aliased(ExchangeMessage)
    if to_check:  # only an earlier package being checked now holds a later one back
        directions, state = (Direction.IN, Direction.FORWARD), MessageState.RECEIVED
        before = [earlier.from_organ == ExchangeMessage.from_organ, leases.held(earlier, now)]
    else:  # any earlier package to the same next hop still waiting holds a later one back
        directions, state = (Direction.OUT, Direction.FORWARD), MessageState.PENDING
        before = [earlier.hop == ExchangeMessage.hop]
    query = select(ExchangeMessage.id).where(
        ExchangeMessage.direction.in_(directions),
        ExchangeMessage.state == state,
        leases.due(ExchangeMessage.next_attempt_at, now),
        leases.free(ExchangeMessage, now),
        ~exists().where(
            and_(
                earlier.direction.in_(directions),
                earlier.state == state,
                earlier.id < ExchangeMessage.id,
                *before,
            )
        ),
    )
    pk = db.session.scalar(query.order_by(ExchangeMessage.id).limit(1))
    if pk is not None:
        leases.take(ExchangeMessage, holder, now + LEASE, ExchangeMessage.id == pk)
    db.session.commit()
    return pk


def release(pk: int) -> ExchangeMessage:
    """The claimed row, its lease ended (the caller sets the outcome and commits)."""
    message = db.session.get(ExchangeMessage, pk)
    leases.give_back(message)
    return message


def record_failure(message: ExchangeMessage, reason: str, retryable: bool) -> None:
    message.attempts += 1
    message.last_error = reason[:2000]
    DELIVERY_FAILURES.labels("exchange").inc()
    limit = current_app.config["EDOC"].exchange_max_attempts
    if retryable and message.attempts < limit:
        message.next_attempt_at = wall_clock() + backoff(message.attempts)
    else:
        message.state = MessageState.FAILED
        message.next_attempt_at = None
