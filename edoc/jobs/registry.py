"""Every background task, imported by ``edoc worker`` so the consumer knows them all."""

from __future__ import annotations

from edoc.audit.tasks import checkpoint_periodically, checkpoint_task
from edoc.dossiers.tasks import export_task
from edoc.exchange.tasks import exchange_drain_periodically, exchange_drain_task
from edoc.integrations.tasks import deliver_webhooks_periodically, deliver_webhooks_task
from edoc.jobs.tasks import requeue_lost_periodically
from edoc.legacy.tasks import legacy_import_task
from edoc.notifications.tasks import (
    daily_work_hourly,
    send_emails_periodically,
    send_emails_task,
)
from edoc.search.tasks import (
    drain_periodically,
    drain_task,
    extract_text_task,
    schedule_lost_extractions_hourly,
)

__all__ = [
    "checkpoint_periodically",
    "checkpoint_task",
    "daily_work_hourly",
    "deliver_webhooks_periodically",
    "deliver_webhooks_task",
    "drain_periodically",
    "drain_task",
    "exchange_drain_periodically",
    "exchange_drain_task",
    "export_task",
    "extract_text_task",
    "legacy_import_task",
    "requeue_lost_periodically",
    "schedule_lost_extractions_hourly",
    "send_emails_periodically",
    "send_emails_task",
]
