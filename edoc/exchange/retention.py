"""Which exchange packages the blob store keeps (for ``edoc gc``).

Every package this installation sends, receives or still has to forward stays: retries resend
exactly those bytes, and the operator can download them. The one exception is a hub's copy of
a package addressed to someone else (a forward): once delivered, and after
``EDOC_EXCHANGE_FORWARD_RETENTION_DAYS``, the sender and the member keep theirs and the hub's
goes (on a busy hub these are most of its disk). The copy a hub received before it appended
its trace header is referred to by nothing once the traced copy is stored (unless the package
was also addressed to the hub's own agency), so ``edoc gc`` takes it after its grace period.
What a checked package's verdict refers to (its files, a hub's traced copy) stays until the
verdict is applied, however long it waits for its turn.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, not_, select

from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.exchange.models import Direction, ExchangeMessage, MessageState
from edoc.exchange.receiving import Verdict


def _cutoff() -> datetime:
    """Forwarded copies delivered before this are no longer kept."""
    return utcnow() - timedelta(days=retention_days())


def retention_days() -> int:
    return current_app.config["EDOC"].exchange_forward_retention_days


def kept_packages() -> set[str]:
    """The blob addresses of every package still kept."""
    forwarded_long_ago = and_(
        ExchangeMessage.direction == Direction.FORWARD,
        ExchangeMessage.state == MessageState.DELIVERED,
        ExchangeMessage.delivered_at < _cutoff(),
    )
    query = select(ExchangeMessage.package_sha256).where(
        ExchangeMessage.package_sha256.is_not(None), not_(forwarded_long_ago)
    )
    kept = {sha256 for sha256 in db.session.scalars(query.distinct()) if sha256}
    return kept | _waiting_to_be_applied()


def _waiting_to_be_applied() -> set[str]:
    """What the verdicts of checked packages not yet applied refer to: the files checked and
    stored (the incoming document takes them when applied), a hub's traced copy."""
    verdicts = db.session.scalars(
        select(ExchangeMessage.verdict).where(ExchangeMessage.state == MessageState.VERIFIED)
    )
    return {sha256 for verdict in verdicts for sha256 in Verdict.blobs_of(verdict or {})}


def package_kept(message: ExchangeMessage) -> bool:
    """Whether ``message``'s package is still kept (the condition of :func:`kept_packages`,
    for one row): a hub's forwarded copy past its retention period is not (``edoc gc`` removes
    it, or will), so the pages no longer offer it; the row, its addresses and its timeline stay."""
    return not (
        message.direction == Direction.FORWARD
        and message.state == MessageState.DELIVERED
        and message.delivered_at is not None
        and message.delivered_at < _cutoff()
    )
