"""Gauges of background work, read at each scrape from the database and the queue."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from edoc.core.extensions import db
from edoc.core.metrics import gauge
from edoc.jobs.models import Job, OutboxEntry
from edoc.jobs.queue import queue_depth


def job_gauges() -> Iterator[GaugeMetricFamily]:
    """Outbox backlog per topic, long jobs per status, tasks waiting in the queue."""
    backlog = gauge("edoc_outbox_backlog", "Changes waiting in the outbox, by topic.", ["topic"])
    attempts = gauge(
        "edoc_outbox_failed_attempts",
        "Failed pushes of the changes still waiting in the outbox, by topic.",
        ["topic"],
    )
    rows = db.session.execute(
        select(OutboxEntry.topic, func.count(OutboxEntry.id), func.sum(OutboxEntry.attempts))
        .group_by(OutboxEntry.topic)
        .order_by(OutboxEntry.topic)
    )
    for topic, count, failed in rows:
        backlog.add_metric([topic], count)
        attempts.add_metric([topic], failed or 0)
    yield backlog
    yield attempts
    jobs = gauge("edoc_jobs", "Long jobs (exports …) by status.", ["status"])
    for status, count in db.session.execute(
        select(Job.status, func.count(Job.id)).group_by(Job.status).order_by(Job.status)
    ):
        jobs.add_metric([status], count)
    yield jobs
    db.session.rollback()  # a scrape holds no transaction
    depth = gauge("edoc_queue_depth", "Tasks waiting in the job queue (Huey).")
    depth.add_metric([], queue_depth())
    yield depth
