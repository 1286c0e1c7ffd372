"""The exchange worker's run: check what came in, then deliver what is due."""

from __future__ import annotations

from edoc.core.extensions import db
from edoc.exchange import outbox
from edoc.exchange.attempts import DrainReport
from edoc.exchange.delivery import default_transport, deliver_one
from edoc.exchange.queueing import release_held
from edoc.exchange.receiving import check_one
from edoc.exchange.transport import Transport


def drain(transport: Transport | None = None, limit: int = 500) -> DrainReport:
    """Check what came in, then deliver what is due, until nothing is left (or ``limit``).
    Commits; no transaction is open while packages are read, checked, signed or sent."""
    transport = transport or default_transport()
    report = DrainReport()
    if release_held():
        db.session.commit()
    holder = outbox.new_holder()
    for _round in range(limit):
        pk = outbox.claim_next(holder, to_check=True)
        if pk is None:
            break
        check_one(pk, holder, report)
    for _round in range(limit):
        pk = outbox.claim_next(holder, to_check=False)
        if pk is None:
            break
        deliver_one(pk, transport, report)
    return report
