"""Background indexing: drained after each request that changed a document, and every minute."""

from __future__ import annotations

from huey import crontab

from edoc.jobs.queue import huey
from edoc.jobs.runtime import app_context
from edoc.search.indexing import drain, extract


@huey.task()
def extract_text_task(sha256: str) -> None:
    with app_context():
        extract(sha256)
    drain_task()


@huey.task()
def drain_task() -> int:
    with app_context():
        return drain(schedule_extraction=extract_text_task)


@huey.periodic_task(crontab(minute="*"))
def drain_periodically() -> int:
    """Retries what an outage left behind, and indexes changes made outside a request."""
    return drain_task.call_local()
