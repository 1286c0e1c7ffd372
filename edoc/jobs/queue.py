"""The Huey instance, built from ``EDOC_QUEUE_URL`` when this module is first imported.

Each task carries the id of the request that queued it (:mod:`edoc.core.logs`): the worker's
log lines about a task then name the web request behind it, across processes and machines.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey import signals as huey_signals
from huey.api import Task
from huey.registry import Message

from edoc.config import ConfigError
from edoc.core.logs import current_request_id, set_task_request_id
from edoc.core.metrics import JOB_FAILURES, JOBS_RUN

log = logging.getLogger("edoc.jobs")

#: Marks a queued message that carries a request id; a plain Message (queued by an older
#: version) is still read.
_ENVELOPE = "edoc/1"


class _CarriesRequestId:
    """Stores each task as ``(_ENVELOPE, message, request_id)`` instead of the bare message."""

    def serialize_task(self, task: Task) -> bytes:
        message = self._registry.create_message(task)  # type: ignore[attr-defined]
        request_id = getattr(task, "request_id", None) or current_request_id()
        return self.serializer.serialize((_ENVELOPE, message, request_id))  # type: ignore[attr-defined,no-any-return]

    def deserialize_task(self, data: bytes) -> Task:
        value = self.serializer.deserialize(data)  # type: ignore[attr-defined]
        request_id = None
        if not isinstance(value, Message) and isinstance(value, tuple) and value[0] == _ENVELOPE:
            _, value, request_id = value
        task = self._registry.create_task(value)  # type: ignore[attr-defined]
        task.request_id = request_id
        return task  # type: ignore[no-any-return]


class EdocRedisHuey(_CarriesRequestId, RedisHuey):
    pass


class EdocSqliteHuey(_CarriesRequestId, SqliteHuey):
    pass


class EdocMemoryHuey(_CarriesRequestId, MemoryHuey):
    pass


def make_huey(url: str | None = None) -> Huey:
    url = url or os.environ.get("EDOC_QUEUE_URL", "")
    if not url:
        data_dir = Path(os.environ.get("EDOC_DATA_DIR", "var")).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        return EdocSqliteHuey("edoc", filename=str(data_dir / "queue.db"))
    parsed = urlparse(url)
    if parsed.scheme in {"redis", "rediss"}:
        return EdocRedisHuey("edoc", url=url)
    if parsed.scheme == "sqlite":
        return EdocSqliteHuey("edoc", filename=parsed.path)
    if parsed.scheme == "memory":
        return EdocMemoryHuey("edoc")
    raise ConfigError(f"EDOC_QUEUE_URL: expected redis://… or sqlite:///PATH, got {url!r}")


huey = make_huey()


@huey.pre_execute()
def _carry_request_id(task: Task) -> None:
    """Before a task runs: its request's id for every log line it writes, and a line saying so."""
    set_task_request_id(getattr(task, "request_id", None))
    JOBS_RUN.labels(task.name).inc()
    log.info("task %s started", task.name, extra={"task": task.name, "task_id": task.id})


@huey.signal(huey_signals.SIGNAL_ERROR)
def _count_failure(signal: str, task: Task, exc: Any = None) -> None:
    JOB_FAILURES.labels(task.name).inc()
    log.warning("task %s failed: %s", task.name, exc, extra={"task": task.name, "task_id": task.id})


def job_ids_in_queue() -> set[str]:
    """The first argument of every waiting or scheduled task: the job id, for tasks that run a
    job (``edoc.jobs.tasks`` compares them with the job table)."""
    ids = set()
    for task in [*huey.pending(), *huey.scheduled()]:
        if task.args and isinstance(task.args[0], str):
            ids.add(task.args[0])
    return ids


def queue_depth() -> int:
    """Tasks waiting in the queue (not the scheduled ones): raises when the queue is down."""
    return int(huey.pending_count())


def check_queue() -> None:
    """Readiness: the queue answers."""
    queue_depth()
