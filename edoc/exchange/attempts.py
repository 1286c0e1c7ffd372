"""One attempt of the worker at one package, and what a failed attempt leaves: back-off, then
``failed`` (a document taken in that will not arrive is refused back to its origin)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from edoc.core import leases
from edoc.core.extensions import db
from edoc.exchange import outbox
from edoc.exchange.models import ExchangeMessage, MessageState
from edoc.exchange.queueing import tell_origin_refused


@dataclass
class DrainReport:
    """What one run of the worker did, for the CLI and the logs."""

    checked: int = 0  # packages received whose checks ran and whose verdict was kept
    applied: int = 0  # verdicts applied (a document, a status, a forward, a refusal)
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def guarded(
    pk: int, holder: str, claimed: MessageState, report: DrainReport, work: Callable[[], None]
) -> None:
    """Run ``work`` on package ``pk``, claimed by ``holder`` in state ``claimed``; an unexpected
    failure is recorded on the package (its attempts, back-off, ``failed`` at the limit) so
    that the other packages go on.

    Recorded only while this drain still holds the row in the state it claimed it in: a drain
    whose lease ran out during slow work (a check may take minutes) may find the row verified,
    applied or retried by another drain meanwhile, and its late failure must not put that row
    in back-off (a sender's later packages would then be applied before it) or fail it."""
    try:
        work()
    except Exception as error:  # tried again after back-off, then failed: others go on meanwhile
        db.session.rollback()
        current_app.logger.exception("exchange: message %s failed in the worker", pk)
        reason = f"{type(error).__name__}: {error}"
        report.errors.append(f"{pk}: {reason}")
        still_held = leases.release(
            ExchangeMessage,
            holder,
            ExchangeMessage.id == pk,
            ExchangeMessage.state == claimed,
            attempts=ExchangeMessage.attempts + 1,
            last_error=reason[:2000],
        )
        if not still_held:
            db.session.rollback()
            current_app.logger.warning(
                "exchange: message %s: lease lost meanwhile; its failure is not recorded", pk
            )
            report.errors.append(f"{pk}: taken over by another worker; failure not recorded")
            return
        message = db.session.get(ExchangeMessage, pk, populate_existing=True)
        if message.attempts >= current_app.config["EDOC"].exchange_max_attempts:
            message.state = MessageState.FAILED
            message.next_attempt_at = None
            # the error itself is this system's business (the operator reads it on the row)
            tell_origin_refused(message, _("Hệ thống nhận không xử lý được gói tin."))
        else:
            message.next_attempt_at = outbox.wall_clock() + outbox.backoff(message.attempts)
        db.session.commit()
