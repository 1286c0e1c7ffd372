"""Pushing webhook deliveries: claim, POST with no transaction open, record the answer.

Order. Each subscription's document events go out one at a time, oldest first: a drain only
ever claims the *head* of a subscription's queue (its oldest deliveries not yet delivered or
given up, up to the first that is not due) and sends them in order, stopping at the first
failure. While the head keeps failing, the later events wait behind it, so a receiver that
comes back after an outage gets everything in the order it happened, each event once (plus a
repeat only if a drain dies between the POST and recording the answer: receivers deduplicate
on ``X-Edoc-Delivery``). When the head has used every attempt it is ``failed`` and the queue
stays stopped until an admin retries it or gives up on it (then the queue moves on): events
are never silently skipped. Test pings are not ordered: they say nothing about documents.

Claims are leases (:mod:`edoc.core.leases`): a short committed transaction stamps the
rows with the drain's id and an expiry (serialised between drains by SQLite's BEGIN IMMEDIATE
or a PostgreSQL advisory lock), the POST runs with no transaction open (a slow receiver holds
no lock and no pooled connection), and a drain that dies mid-way only delays its rows until
the lease expires. Back-off after a failed attempt: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h,
4 h, then every 6 h, up to ``EDOC_WEBHOOK_MAX_ATTEMPTS`` (20 by default: about three and a
half days of outage before an admin must step in).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from edoc.core import leases
from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.core.metrics import DELIVERY_FAILURES
from edoc.core.transactions import outside_transaction
from edoc.integrations import secret_box, targets
from edoc.integrations.models import PING, DeliveryStatus, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)

RUN = 20  # deliveries of one subscription per claim, sent one after the other
LEASE = timedelta(minutes=10)  # over a whole run of POSTs timing out (RUN x 10 s)
BACKOFF = leases.Backoff(
    (
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
    ),
    cap=timedelta(hours=6),
)
USER_AGENT = "edoc-webhooks/1"
wall_clock = leases.wall_clock


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``: what ``X-Edoc-Signature`` says."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Claim:
    """What one drain sends now: runs of deliveries, each run in its queue's order."""

    holder: str
    runs: list[list[int]]


def _due(row: WebhookDelivery, now: datetime) -> bool:
    free = row.claimed_until is None or row.claimed_until <= now
    due = row.next_attempt_at is None or row.next_attempt_at <= now
    return row.status == DeliveryStatus.PENDING and free and due


def _run(subscription_id: int, now: datetime) -> list[int]:
    """The due deliveries at the head of a subscription's queue, oldest first, up to the first
    one that is not due (failed, waiting out its back-off, or claimed by another drain)."""
    rows = db.session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription_id,
            WebhookDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.FAILED)),
            WebhookDelivery.event_type != PING,
        )
        .order_by(WebhookDelivery.id)
        .limit(RUN)
    )
    run: list[int] = []
    for row in rows:
        if not _due(row, now):
            break
        run.append(row.id)
    return run


def claim() -> Claim | None:
    """Claim the due head runs of the active subscriptions' queues, and due pings. Commits."""
    leases.serialise_claims("edoc.webhooks")
    now = wall_clock()
    active = select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True))
    waiting = db.session.scalars(
        select(WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.subscription_id.in_(active),
        )
        .distinct()
        .order_by(WebhookDelivery.subscription_id)
    ).all()
    runs = [run for run in (_run(s, now) for s in waiting) if run]
    pings = db.session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.event_type == PING,
            WebhookDelivery.subscription_id.in_(active),
        )
    )
    runs += [[row.id] for row in pings if _due(row, now)]
    if not runs:
        db.session.commit()  # ends the claim's transaction (and its lock) with nothing taken
        return None
    holder = leases.new_holder()
    ids = [i for run in runs for i in run]
    leases.take(WebhookDelivery, holder, now + LEASE, WebhookDelivery.id.in_(ids))
    db.session.commit()  # the claim is visible to every other drain before the POSTs
    return Claim(holder, runs)


def release(holder: str, ids: list[int]) -> None:
    """Give back claimed deliveries not attempted (their run stopped at a failure). Commits."""
    if ids:
        leases.release(WebhookDelivery, holder, WebhookDelivery.id.in_(ids))
    db.session.commit()  # free for the next drain at once, not when the lease runs out


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _request(delivery_id: int) -> tuple[str, bytes, dict[str, str]] | Outcome:
    """The URL, body and headers of one delivery (read in the current transaction), or the
    outcome of a delivery that cannot even be attempted."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    subscription = delivery.subscription
    try:
        secret = secret_box.open_sealed(subscription.secret_sealed)
    except secret_box.SecretUnreadable:
        return Outcome(
            None, "secret_unreadable: the secret key changed; create the subscription again"
        )
    body = body_of(delivery.payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Edoc-Event": delivery.event_type,
        "X-Edoc-Delivery": delivery.event_id,
        "X-Edoc-Timestamp": timestamp,
        "X-Edoc-Signature": signature(secret, timestamp, body),
    }
    return subscription.url, body, headers


def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    allow_private = current_app.config["EDOC"].webhook_allow_private
    try:
        with outside_transaction():
            answer = targets.post(url, body, headers, allow_private=allow_private)
    except targets.TargetRefused as refused:
        return Outcome(None, f"address_refused: {refused}")
    except (OSError, HTTPException) as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:1000])
    detail = "" if 200 <= answer.status < 300 else f"HTTP {answer.status}: {answer.body}"
    return Outcome(answer.status, detail[:1000])


def _record(delivery_id: int, holder: str, outcome: Outcome) -> None:
    """The answer, in a short transaction; nothing when another drain took the row meanwhile
    (this drain's lease ran out: the other one sends and records)."""
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.claimed_by != holder:
        db.session.commit()
        return
    delivery.attempts += 1
    if not outcome.delivered:
        DELIVERY_FAILURES.labels("webhook").inc()
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    leases.give_back(delivery)
    if outcome.delivered:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = utcnow()
        delivery.next_attempt_at = None
    elif delivery.attempts >= current_app.config["EDOC"].webhook_max_attempts:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = wall_clock() + BACKOFF.after(delivery.attempts)
    db.session.commit()  # this delivery's attempt is over, whatever happens to the next one


def _renew(delivery_id: int, holder: str) -> bool:
    """Extend this drain's lease on one delivery just before sending it; False when the lease
    ran out and another drain took it (then that one sends it, and what follows it). Commits.

    The claim covers a whole run; renewing per delivery keeps a run of slow receivers from
    outliving its lease, so no event is sent twice or out of order."""
    return leases.renew(WebhookDelivery, holder, LEASE, WebhookDelivery.id == delivery_id)


def deliver_one(delivery_id: int, holder: str) -> Outcome | None:
    """Send one claimed delivery and record the answer; None when this drain lost its claim."""
    if not _renew(delivery_id, holder):
        return None
    prepared = _request(delivery_id)
    outcome = prepared if isinstance(prepared, Outcome) else _post(*prepared)
    if not outcome.delivered:
        log.info("webhook delivery %s not delivered: %s", delivery_id, outcome.error[:200])
    _record(delivery_id, holder, outcome)
    return outcome


def drain(max_rounds: int = 1000) -> int:
    """Deliver everything due, queue by queue in order; how many were delivered. A run stops
    at its first failure: what follows it in the queue waits behind it."""
    delivered = 0
    for _round in range(max_rounds):
        taken = claim()
        if taken is None:
            break
        for run in taken.runs:
            for position, delivery_id in enumerate(run):
                outcome = deliver_one(delivery_id, taken.holder)
                if outcome is None or not outcome.delivered:
                    release(taken.holder, run[position + 1 :])
                    break
                delivered += 1
    return delivered


def make_waiting_due() -> int:
    """Deliveries waiting out their back-off become due now (``edoc webhooks deliver --now``:
    the operator knows the receiver is back). Commits."""
    result = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at.is_not(None),
        )
        .values(next_attempt_at=None)
    )
    db.session.commit()  # the operator's decision holds for every drain from now on
    return result.rowcount or 0
