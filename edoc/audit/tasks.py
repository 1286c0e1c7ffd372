"""The worker's periodic checkpoint of the audit chain (see :mod:`edoc.audit.checkpoints`)."""

from __future__ import annotations

import logging
from pathlib import Path

from huey import crontab

from edoc.audit.checkpoints import (
    LegacyRowsPresent,
    agency_checkpoint_signer,
    latest_checkpoint_age_minutes,
    take_checkpoint,
)
from edoc.audit.services import Operator
from edoc.core.errors import AppError
from edoc.jobs.queue import huey
from edoc.jobs.runtime import app_context

log = logging.getLogger(__name__)


@huey.task()
def checkpoint_task(force: bool = False) -> str | None:
    """Write a checkpoint if the last one is older than EDOC_AUDIT_CHECKPOINT_MINUTES."""
    with app_context() as app:
        age = latest_checkpoint_age_minutes()
        if not force and age is not None and age < app.config["EDOC"].audit_checkpoint_minutes:
            return None
        try:
            path: Path | None = take_checkpoint(
                agency_checkpoint_signer(), Operator.task("audit.checkpoint")
            )
        except (AppError, LegacyRowsPresent) as error:
            log.warning("audit checkpoint not written: %s", getattr(error, "message", error))
            return None
        return str(path) if path else None


@huey.periodic_task(crontab(minute="*/5"))
def checkpoint_periodically() -> str | None:
    return checkpoint_task.call_local()
