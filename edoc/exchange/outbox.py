"""The exchange queue: packages waiting to leave (out, forward), or to be checked and their
result applied (in, forward), claimed by the worker with a lease, delivered with retries and
back-off, in order per next hop; checked in parallel, applied in order per sender.

Never lose: a package row is written in the transaction of the change it reports (the
dispatch, the registration …); its bytes are built once, stored in the blob store, and every
retry sends exactly those bytes under the same message id. Never duplicate: the receiving side
keeps one row per message id (unique constraint), so a package delivered twice — the answer
lost, the sender retrying — creates nothing the second time.
"""

from __future__ import annotations

import enum
from contextlib import AbstractContextManager
from contextvars import ContextVar
from datetime import timedelta

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, exists, or_, select
from sqlalchemy.orm import aliased

from edoc.core import leases
from edoc.core.extensions import db
from edoc.core.metrics import DELIVERY_FAILURES
from edoc.exchange.models import Direction, ExchangeMessage, MessageKind, MessageState

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


def lease() -> timedelta:
    """How long a claim lasts unrenewed (``EDOC_EXCHANGE_LEASE_SECONDS``)."""
    return timedelta(seconds=current_app.config["EDOC"].exchange_lease_seconds)


def kept_alive(pk: int, holder: str) -> AbstractContextManager[None]:
    """Keep ``holder``'s claim on package ``pk`` while a slow step on it runs (a check may take
    minutes, a delivery to a slow peer too), so that no other drain takes it meanwhile."""
    return leases.kept_alive(ExchangeMessage, holder, lease(), ExchangeMessage.id == pk)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: doubling from
    ``EDOC_EXCHANGE_BACKOFF_SECONDS`` up to ``EDOC_EXCHANGE_BACKOFF_MAX_SECONDS``."""
    settings = current_app.config["EDOC"]
    schedule = leases.Backoff.doubling(
        timedelta(seconds=settings.exchange_backoff_seconds),
        timedelta(seconds=settings.exchange_backoff_max_seconds),
    )
    return schedule.after(attempts)


class Step(enum.StrEnum):
    """What a drain claims a package for."""

    VERIFY = "verify"  # a received package's slow checks: any number at once, any sender
    APPLY = "apply"  # a verified package's result: in the order received, per sender
    DELIVER = "deliver"  # a package out or forwarded: in order per next hop


#: The directions whose packages are checked and applied here (received from another system).
TAKEN_IN = (Direction.IN, Direction.FORWARD)
#: A package received and not yet applied: it keeps later ones from its sender waiting.
NOT_APPLIED = (MessageState.RECEIVED, MessageState.VERIFIED)


def claim_next(holder: str, step: Step) -> int | None:
    """Claim the oldest package due for ``step`` that no live lease holds. Commits.

    - ``VERIFY``: any received package, recalls first. Checks are slow (parse, seal, the PDF's
      signatures in a bounded child: seconds each) and change nothing, so later packages of a
      sender are checked while earlier ones are, by other drains, threads or processes; a
      recall carries no file and must not wait behind a flood of documents.
    - ``APPLY``: a verified package none of whose sender's earlier packages is still received
      or verified: results (a new document and its 01, a status, a forward, a refusal) are
      applied in the order the packages were received from that sender, however their checks
      finished. An earlier one waiting out a back-off after an unexpected failure is passed,
      so that one broken package does not hold up the rest. A replacement (business type 3)
      waits for every earlier package of its sender, back-off or not; a recall (1) for every
      earlier one about the document it recalls (its row's DocumentId, see
      ``inbox._new_row``: its original, an update of it), back-off or not, and for no other
      (for every one when it recalls several). Applied before its original, either would find
      nothing to act on (``held``), and the original would then be created as an active
      document its sender had recalled or replaced.
    - ``DELIVER``: the oldest package due for delivery whose next hop has no earlier package
      still waiting: packages to one peer leave in order.
    """
    leases.serialise_claims("edoc.exchange")
    now = wall_clock()
    earlier = aliased(ExchangeMessage)
    if step == Step.DELIVER:
        directions, state = (Direction.OUT, Direction.FORWARD), MessageState.PENDING
        waiting = [
            earlier.direction.in_(directions),
            earlier.state == state,
            earlier.hop == ExchangeMessage.hop,
        ]
    elif step == Step.APPLY:
        directions, state = TAKEN_IN, MessageState.VERIFIED
        # a recall row's DocumentId is the document it recalls ("" when it names several)
        recall_of_one = and_(_acts_on_an_earlier(RECALL), ExchangeMessage.edxml_document_id != "")
        acts_on_others = or_(_acts_on_an_earlier(RECALL), _acts_on_an_earlier(REPLACEMENT))
        waiting = [
            earlier.direction.in_(TAKEN_IN),
            earlier.state.in_(NOT_APPLIED),
            earlier.from_organ == ExchangeMessage.from_organ,
            or_(
                and_(recall_of_one, earlier.edxml_document_id == ExchangeMessage.edxml_document_id),
                and_(~recall_of_one, or_(leases.due(earlier.next_attempt_at, now), acts_on_others)),
            ),
        ]
    else:
        directions, state, waiting = TAKEN_IN, MessageState.RECEIVED, []
    query = select(ExchangeMessage.id).where(
        ExchangeMessage.direction.in_(directions),
        ExchangeMessage.state == state,
        leases.due(ExchangeMessage.next_attempt_at, now),
        leases.free(ExchangeMessage, now),
    )
    if waiting:
        query = query.where(~exists().where(earlier.id < ExchangeMessage.id, *waiting))
    if step == Step.VERIFY:  # a recall is small and urgent: checked before a queue of documents
        query = query.order_by(case((_acts_on_an_earlier(RECALL), 0), else_=1))
    pk = db.session.scalar(query.order_by(ExchangeMessage.id).limit(1))
    if pk is not None:
        leases.take(ExchangeMessage, holder, now + lease(), ExchangeMessage.id == pk)
    db.session.commit()
    return pk


#: Business types (edXML ``Business`` ``DocumentType``) of a package that acts on an earlier
#: document of its sender: it recalls it, or replaces it.
RECALL, REPLACEMENT = 1, 3


def _acts_on_an_earlier(business_type: int) -> ColumnElement[bool]:
    return and_(
        ExchangeMessage.kind == MessageKind.DOCUMENT,
        ExchangeMessage.business_type == business_type,
    )


def release(pk: int, holder: str) -> ExchangeMessage | None:
    """End ``holder``'s lease on row ``pk`` and return the row if it is still this drain's to
    record an outcome on (the caller sets it and commits); None when the lease ran out and
    another drain took the row, or an operator gave it up meanwhile: that outcome stands."""
    held = leases.release(ExchangeMessage, holder, ExchangeMessage.id == pk)
    message = db.session.get(ExchangeMessage, pk, populate_existing=True)
    if not held or message.state != MessageState.PENDING:
        return None
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
