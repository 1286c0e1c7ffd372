"""The exchange worker: after each request or task that queued or accepted a package, and
every minute (retries after back-off, held packages whose route appeared).

At most one drain task waits in the queue at a time (``DRAIN_PENDING``, set when one is
queued, cleared when it starts): a burst of requests, or a drain whose checks queue 01s,
queues one more drain, not one per package.
"""

from __future__ import annotations

from typing import Any

from huey import crontab
from huey.api import Task

from edoc.exchange import outbox
from edoc.exchange.worker import drain
from edoc.jobs.queue import huey
from edoc.jobs.runtime import app_context

DRAIN_PENDING = "edoc.exchange.drain-pending"


@huey.task()
def exchange_drain_task() -> int:
    huey.get(DRAIN_PENDING)  # taken: work queued from now on asks for another run
    with app_context():
        report = drain()
        return report.delivered + report.checked + report.applied


@huey.periodic_task(crontab(minute="*"))
def exchange_drain_periodically() -> int:
    return exchange_drain_task.call_local()


def request_drain() -> bool:
    """Queue a drain unless one is already waiting; True when this call queued it."""
    if not huey.put_if_empty(DRAIN_PENDING, b"1"):
        return False
    exchange_drain_task()
    return True


@huey.pre_execute()
def _forget_earlier_kicks(task: Task) -> None:
    outbox.take_task_kick()


@huey.post_execute()
def _drain_after_task(task: Task, value: Any, exception: BaseException | None) -> None:
    """A task (an import, a job, anything but a drain, which delivers what it queues) that
    queued packages asks for a drain now: the packages leave without waiting for the minute."""
    if outbox.take_task_kick() and exception is None:
        request_drain()
