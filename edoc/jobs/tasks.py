"""Work of the jobs area itself: finding the jobs the queue lost, and the running jobs whose
worker died, and queueing them again."""

from __future__ import annotations

import logging

from huey import crontab

from edoc.jobs import services
from edoc.jobs.queue import huey, job_ids_in_queue
from edoc.jobs.runtime import app_context

log = logging.getLogger("edoc.jobs")

#: Jobs found lost by this process's previous check (see ``services.requeue_lost``).
_suspected: set[str] = set()


def requeue_lost_jobs(confirmed: bool = False) -> list[str]:
    """One check; ``confirmed``: queue again what is lost now, without waiting for a second
    check (at the worker's start, before its threads take anything).

    First the running jobs whose lease ran out (their worker died), then the queued jobs the
    queue lost; the queue is read after the first, which queued tasks of its own."""
    global _suspected
    with app_context():
        expired, failed = services.requeue_expired()
    for job_id in expired:
        log.warning("job %s: its worker stopped mid-run (lease ran out): queued again", job_id)
    for job_id in failed:
        log.error("job %s: its worker stopped mid-run too often: failed", job_id)
    in_queue = job_ids_in_queue()
    with app_context():
        if confirmed:
            _requeued, lost = services.requeue_lost(in_queue, set())
            requeued, _suspected = services.requeue_lost(in_queue, lost)
        else:
            requeued, _suspected = services.requeue_lost(in_queue, _suspected)
    for job_id in requeued:
        log.warning("job %s was no longer in the queue: queued again", job_id)
    return expired + requeued


@huey.periodic_task(crontab(minute="*"))
@huey.lock_task("edoc.requeue-lost-jobs")
def requeue_lost_periodically() -> int:
    return len(requeue_lost_jobs())
