"""The exchange worker: after each request that queued or accepted a package, and every
minute (retries after back-off, held packages whose route appeared)."""

from __future__ import annotations

from huey import crontab

from edoc.exchange.worker import drain
from edoc.jobs.queue import huey
from edoc.jobs.runtime import app_context


@huey.task()
def exchange_drain_task() -> int:
    with app_context():
        report = drain()
        return report.delivered + report.checked


@huey.periodic_task(crontab(minute="*"))
def exchange_drain_periodically() -> int:
    return exchange_drain_task.call_local()
