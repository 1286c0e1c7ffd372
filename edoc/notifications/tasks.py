"""Background work of notifications: sending the e-mail outbox (after each request that
queued e-mails, and every minute for retries), deadline reminders and the daily digest
(hourly: each is idempotent within its day, so a worker that was down catches up)."""

from __future__ import annotations

from huey import crontab

from edoc.core.clock import to_local, utcnow
from edoc.core.extensions import db
from edoc.jobs.queue import huey
from edoc.jobs.runtime import app_context
from edoc.notifications import digest, mail, reminders


@huey.task()
def send_emails_task() -> int:
    with app_context():
        return mail.drain()


@huey.periodic_task(crontab(minute="*"))
def send_emails_periodically() -> int:
    return send_emails_task.call_local()


def run_daily_work() -> tuple[int, int]:
    """Today's reminders, and the digest once its hour has come; then send. Commits."""
    made = reminders.notify_deadlines()
    queued = digest.queue_digests() if digest.digest_due(to_local(utcnow())) else 0
    db.session.commit()
    mail.drain()
    return made, queued


@huey.periodic_task(crontab(minute="5"))
def daily_work_hourly() -> tuple[int, int]:
    with app_context():
        return run_daily_work()
