"""``init_exchange``: wires the area into the app (its listeners, its worker kick)."""

from __future__ import annotations

from flask import Flask, current_app

from edoc.exchange import outbox, services
from edoc.exchange.tasks import exchange_drain_task


def _drain_after_request(error: BaseException | None) -> None:
    """A request that queued or accepted packages asks the worker to run now (at teardown,
    after the request's transaction ended, so the worker sees the rows)."""
    if not outbox.take_kick() or error is not None:
        return
    try:
        exchange_drain_task()
    except Exception:  # the queue keeps the work; the periodic drain retries it
        current_app.logger.exception("exchange after the request failed; will retry")


def init_exchange(app: Flask) -> None:
    services.init_listeners()
    app.teardown_request(_drain_after_request)
