"""Webhook delivery in the background: kicked after each request that wrote deliveries, and
every minute (retries after back-off, events written outside a request)."""

from __future__ import annotations

from huey import crontab

from edoc.integrations.delivery import drain
from edoc.jobs.queue import huey
from edoc.jobs.runtime import app_context


@huey.task()
def deliver_webhooks_task() -> int:
    with app_context():
        return drain()


@huey.periodic_task(crontab(minute="*"))
def deliver_webhooks_periodically() -> int:
    return deliver_webhooks_task.call_local()
