"""Logs: one request id per request, carried into the background tasks it queues, and JSON
lines in production (``EDOC_LOG_FORMAT=json``) so a log collector can follow one request from
the web process into the worker.

The id comes from the proxy's ``X-Request-ID`` when it is a sane token, otherwise it is made
here; it is sent back in the response's ``X-Request-ID``. A task queued during the request
carries it (:mod:`edoc.jobs.queue`) and the worker sets it with :func:`set_task_request_id`
before the task runs, so the task's log lines name the request that caused them.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_task_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "edoc_task_request_id", default=None
)
request_log = logging.getLogger("edoc.request")


def current_request_id() -> str | None:
    """The id of the request being answered, or of the request that queued the running task."""
    if has_request_context():
        request_id = g.get("request_id")
        if request_id:
            return str(request_id)
    return _task_request_id.get()


def set_task_request_id(request_id: str | None) -> None:
    """The worker is about to run a task queued by request ``request_id`` (None: by no request)."""
    _task_request_id.set(request_id)


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record, so both formats can show it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": current_request_id(),
            "pid": record.process,  # which gunicorn worker (or edoc worker) wrote it
        }
        for key in ("method", "path", "status", "duration_ms", "task", "task_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    """The root logger's handler: text as before (``make run``), or JSON lines. Idempotent: an
    app built twice in a process (tests) does not stack handlers."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "edoc_handler", False)]
    if log_format != "json":
        if not ours:
            logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)
        return
    handler = ours[0] if ours else logging.StreamHandler()
    handler.edoc_handler = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter())
    if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
        handler.addFilter(RequestIdFilter())
    for other in [h for h in root.handlers if h is not handler]:
        root.removeHandler(other)
    if handler not in root.handlers:
        root.addHandler(handler)
    root.setLevel(logging.INFO)


def init_request_ids(app: Flask, log_requests: bool) -> None:
    """Give each request its id (and, in JSON mode, one log line when it is answered)."""

    @app.before_request
    def _assign() -> None:
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if _SANE_ID.match(offered) else uuid.uuid4().hex

    @app.after_request
    def _echo(response: Any) -> Any:
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
            if log_requests:
                rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
                request_log.info(
                    "%s %s %s",
                    request.method,
                    rule,
                    response.status_code,
                    extra={"method": request.method, "path": rule, "status": response.status_code},
                )
        return response
