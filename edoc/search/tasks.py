"""Background indexing: drained after each request that changed a document, and every minute;
text extraction (OCR) found lost and scheduled again every hour."""

from __future__ import annotations

import logging
import time

from huey import crontab

from edoc.jobs.queue import huey, job_ids_in_queue
from edoc.jobs.runtime import app_context
from edoc.search.indexing import drain, extract, unread_pdfs

log = logging.getLogger("edoc.search")

#: PDFs found unread with no task waiting, and when this process first found them so.
_first_seen: dict[str, float] = {}
#: How long a blob must have stayed unread and unqueued to be taken as lost: longer than any
#: OCR runs, and robust to the hourly task running twice in a row (one per ``edoc worker``).
LOST_AFTER_SECONDS = 50 * 60


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


def schedule_lost_extractions(now: float | None = None) -> list[str]:
    """Schedule again the extraction of PDFs whose text was never read and for which no task
    waits in the queue: the task was lost (its worker was killed mid-OCR, the queue lost it).

    A blob is scheduled only when it has been found so for :data:`LOST_AFTER_SECONDS`: one
    being read right now by a worker is not in the queue either, and an OCR does not take that
    long. Extraction is idempotent (a blob read meanwhile is not read again)."""
    in_queue = job_ids_in_queue()  # the first argument of every waiting task: the blob here
    with app_context():
        lost = set(unread_pdfs()) - in_queue
    now = time.monotonic() if now is None else now  # a test passes a later one
    for sha256 in set(_first_seen) - lost:
        del _first_seen[sha256]
    for sha256 in lost:
        _first_seen.setdefault(sha256, now)
    again = sorted(s for s in lost if now - _first_seen[s] >= LOST_AFTER_SECONDS)
    for sha256 in again:
        del _first_seen[sha256]
        log.warning("text of blob %s was never read (task lost): scheduled again", sha256)
        extract_text_task(sha256)
    return again


@huey.periodic_task(crontab(minute="17"))
@huey.lock_task("edoc.schedule-lost-extractions")
def schedule_lost_extractions_hourly() -> int:
    return len(schedule_lost_extractions())
