"""Background indexing: drained after each request that changed a document, and every minute;
text extraction (OCR) found lost and scheduled again every hour."""

from __future__ import annotations

import logging

from huey import crontab

from edoc.jobs.queue import huey, job_ids_in_queue
from edoc.jobs.runtime import app_context
from edoc.search.indexing import drain, extract, unread_pdfs

log = logging.getLogger("edoc.search")

#: PDFs found unread, with no task waiting, by this process's previous hourly check.
_suspected: set[str] = set()


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


def schedule_lost_extractions() -> list[str]:
    """Schedule again the extraction of PDFs whose text was never read and for which no task
    waits in the queue: the task was lost (its worker was killed mid-OCR, the queue lost it).

    A blob is scheduled only when the previous check (an hour earlier) found it so too: one
    being read right now by a worker is not in the queue either, and an OCR does not take an
    hour. Extraction is idempotent (a blob read meanwhile is not read again)."""
    global _suspected
    in_queue = job_ids_in_queue()  # the first argument of every waiting task: the blob here
    with app_context():
        lost = set(unread_pdfs()) - in_queue
    again = sorted(lost & _suspected)
    _suspected = lost - set(again)
    for sha256 in again:
        log.warning("text of blob %s was never read (task lost): scheduled again", sha256)
        extract_text_task(sha256)
    return again


@huey.periodic_task(crontab(minute="17"))
@huey.lock_task("edoc.schedule-lost-extractions")
def schedule_lost_extractions_hourly() -> int:
    return len(schedule_lost_extractions())
