"""The exchange worker's run: check what came in, apply the results in order and deliver what
is due, in turns."""

from __future__ import annotations

from edoc.core.extensions import db
from edoc.exchange import outbox
from edoc.exchange.attempts import DrainReport
from edoc.exchange.delivery import deliver_one
from edoc.exchange.outbox import Step
from edoc.exchange.queueing import release_held
from edoc.exchange.receiving import apply_one, verify_one
from edoc.exchange.transport import Transport

#: Packages checked before the run turns to applying and delivering: one, so the 01 a check's
#: result queues (or the forward a hub's queues) leaves right after that check, not after every
#: package received has been checked (a check takes seconds; a flood is hundreds of packages).
CHECK_BATCH = 1


def drain(transport: Transport | None = None, limit: int = 500) -> DrainReport:
    """In turns, until nothing is left (or ``limit`` of each step): apply every verdict whose
    turn has come (in order per sender, whichever drain checked it), deliver everything due
    (the 01s and forwards just queued too), check one package received.

    Drains run at once (worker threads, processes): each checks a different package, a
    sender's later ones too, and a verdict waiting for an earlier package of its sender is
    applied by the drain that applies that one (or by the next drain). Each package leaves by
    ``transport``, or (None) by the one its next hop's peer is configured with. Commits; no
    transaction is open while packages are read, checked, signed or sent."""
    report = DrainReport()
    if release_held():
        db.session.commit()
    holder = outbox.new_holder()
    checks = applies = deliveries = 0
    while True:
        progressed = False
        while applies < limit:
            pk = outbox.claim_next(holder, Step.APPLY)
            if pk is None:
                break
            apply_one(pk, holder, report)
            applies += 1
            progressed = True
        while deliveries < limit:
            pk = outbox.claim_next(holder, Step.DELIVER)
            if pk is None:
                break
            deliver_one(pk, holder, transport, report)
            deliveries += 1
            progressed = True
        for _turn in range(min(CHECK_BATCH, limit - checks)):
            pk = outbox.claim_next(holder, Step.VERIFY)
            if pk is None:
                break
            verify_one(pk, holder, report)
            checks += 1
            progressed = True
        if not progressed:
            break
    outbox.drained()
    return report
