"""One attempt of the worker at one package, and what a failed attempt leaves: back-off, then
``failed`` (a forwarded document that will not arrive is refused back to its origin)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from edoc.core.extensions import db
from edoc.exchange import outbox
from edoc.exchange.models import MessageState
from edoc.exchange.queueing import forward_ended


@dataclass
class DrainReport:
    """What one run of the worker did, for the CLI and the logs."""

    checked: int = 0  # packages received whose checks ran and whose verdict was kept
    applied: int = 0  # verdicts applied (a document, a status, a forward, a refusal)
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def guarded(pk: int, report: DrainReport, work: Callable[[], None]) -> None:
    """Run ``work`` on package ``pk``; an unexpected failure is recorded on the package (its
    attempts, back-off, ``failed`` at the limit) so that the other packages go on."""
    try:
        work()
    except Exception as error:  # tried again after back-off, then failed: others go on meanwhile
        db.session.rollback()
        current_app.logger.exception("exchange: message %s failed in the worker", pk)
        report.errors.append(f"{pk}: {type(error).__name__}: {error}")
        message = outbox.release(pk)
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        if message.attempts >= current_app.config["EDOC"].exchange_max_attempts:
            delivering = message.state == MessageState.PENDING
            message.state = MessageState.FAILED
            message.next_attempt_at = None
            if delivering:
                forward_ended(message, message.last_error)
        else:
            message.next_attempt_at = outbox.wall_clock() + outbox.backoff(message.attempts)
        db.session.commit()
