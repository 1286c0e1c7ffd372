"""The exchange worker's run: check what came in and deliver what is due, in turns."""

from __future__ import annotations

from edoc.core.extensions import db
from edoc.exchange import outbox
from edoc.exchange.attempts import DrainReport
from edoc.exchange.delivery import deliver_one
from edoc.exchange.queueing import release_held
from edoc.exchange.receiving import check_one
from edoc.exchange.transport import Transport

#: Packages checked before the run turns to delivering: one, so the 01 a check queues (or the
#: forward a hub's check queues) leaves right after that check, not after every package
#: received has been checked (a check takes seconds; a flood is hundreds of packages).
CHECK_BATCH = 1


def drain(transport: Transport | None = None, limit: int = 500) -> DrainReport:
    """Check a package received, deliver everything due (what that check queued too), and
    again, until nothing is left (or ``limit`` checks and ``limit`` deliveries). Each package
    leaves by ``transport``, or (None) by the one its next hop's peer is configured with.
    Commits; no transaction is open while packages are read, checked, signed or sent."""
    report = DrainReport()
    if release_held():
        db.session.commit()
    holder = outbox.new_holder()
    checks = deliveries = 0
    while True:
        progressed = False
        for _turn in range(min(CHECK_BATCH, limit - checks)):
            pk = outbox.claim_next(holder, to_check=True)
            if pk is None:
                break
            check_one(pk, holder, report)
            checks += 1
            progressed = True
        while deliveries < limit:
            pk = outbox.claim_next(holder, to_check=False)
            if pk is None:
                break
            deliver_one(pk, transport, report)
            deliveries += 1
            progressed = True
        if not progressed:
            break
    outbox.drained()
    return report
