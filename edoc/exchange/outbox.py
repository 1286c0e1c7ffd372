"""The exchange queue: packages waiting to leave (out, forward) or to be checked (in), claimed
by the worker with a lease, delivered with retries and back-off, in order per next hop.

Never lose: a package row is written in the transaction of the change it reports (the
dispatch, the registration …); its bytes are built once, stored in the blob store, and every
retry sends exactly those bytes under the same message id. Never duplicate: the receiving side
keeps one row per message id (unique constraint), so a package delivered twice — the answer
lost, the sender retrying — creates nothing the second time.
"""

from __future__ import annotations

import uuid
import zlib
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from edoc.core.extensions import db
from edoc.core.metrics import DELIVERY_FAILURES
from edoc.exchange.models import Direction, ExchangeMessage, MessageState

LEASE = timedelta(minutes=5)
KICK = "edoc.exchange.kick"


def wall_clock() -> datetime:
    """Leases and back-off are about real time passing (the demo moves ``utcnow``)."""
    return datetime.now(UTC).replace(tzinfo=None)


def ask_for_drain() -> None:
    """Ask the worker to run once the current request ends (see ``init_exchange``)."""
    db.session().info[KICK] = True


def take_kick() -> bool:
    return bool(db.session().info.pop(KICK, False))


def backoff(attempts: int) -> timedelta:
    settings = current_app.config["EDOC"]
    seconds = settings.exchange_backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.exchange_backoff_max_seconds))


def _lock_claims() -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(zlib.crc32(b"edoc.exchange"))))


def _free(now: datetime):  # type: ignore[no-untyped-def]
    return or_(ExchangeMessage.claimed_until.is_(None), ExchangeMessage.claimed_until <= now)


def claim_next(holder: str, *, to_check: bool) -> int | None:
    """Claim the next package: the oldest due for its checks whose sender has no earlier one
    being checked by another worker (``to_check``), or the oldest one due for delivery whose
    next hop has no earlier package still waiting. Packages from one sender are taken, and
    packages to one peer leave, in order: a later one does not overtake an earlier one still
    in hand or being retried; only an earlier one that failed its check and waits out its
    back-off is passed, so that one broken package does not hold up the rest. Commits."""
    _lock_claims()
    now = wall_clock()
    earlier = aliased(ExchangeMessage)
    if to_check:
        query = select(ExchangeMessage.id).where(
            ExchangeMessage.direction.in_((Direction.IN, Direction.FORWARD)),
            ExchangeMessage.state == MessageState.RECEIVED,
            or_(ExchangeMessage.next_attempt_at.is_(None), ExchangeMessage.next_attempt_at <= now),
            _free(now),
            ~exists().where(
                and_(
                    earlier.direction.in_((Direction.IN, Direction.FORWARD)),
                    earlier.state == MessageState.RECEIVED,
                    earlier.from_organ == ExchangeMessage.from_organ,
                    earlier.id < ExchangeMessage.id,
                    earlier.claimed_until > now,
                )
            ),
        )
    else:
        query = select(ExchangeMessage.id).where(
            ExchangeMessage.direction.in_((Direction.OUT, Direction.FORWARD)),
            ExchangeMessage.state == MessageState.PENDING,
            or_(ExchangeMessage.next_attempt_at.is_(None), ExchangeMessage.next_attempt_at <= now),
            _free(now),
            ~exists().where(
                and_(
                    earlier.direction.in_((Direction.OUT, Direction.FORWARD)),
                    earlier.state == MessageState.PENDING,
                    earlier.hop == ExchangeMessage.hop,
                    earlier.id < ExchangeMessage.id,
                )
            ),
        )
    pk = db.session.scalar(query.order_by(ExchangeMessage.id).limit(1))
    if pk is not None:
        db.session.execute(
            update(ExchangeMessage)
            .where(ExchangeMessage.id == pk)
            .values(claimed_by=holder, claimed_until=now + LEASE)
        )
    db.session.commit()
    return pk


def new_holder() -> str:
    return str(uuid.uuid4())


def release(pk: int) -> ExchangeMessage:
    """The claimed row, its lease ended (the caller sets the outcome and commits)."""
    message = db.session.get(ExchangeMessage, pk)
    message.claimed_by = None
    message.claimed_until = None
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
