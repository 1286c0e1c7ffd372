"""Bounding how many requests one process serves at once, for ``edoc serve``.

Werkzeug's threaded server starts a thread for every connection with no upper bound, while
each request holds one pooled database connection (SQLAlchemy's default pool: 5 + 10 overflow).
Fifty people arriving at once became fifty threads asking for fifteen connections, and the
ones that waited past ``pool_timeout`` failed with "QueuePool limit reached". gunicorn bounds
this with its fixed threads per worker (``EDOC_WEB_THREADS``); :class:`ConcurrencyLimit` gives
``edoc serve`` the same bound: at most ``limit`` requests run the app, the others wait for a
slot (holding no database connection) and get a clean 503 if none frees up in time.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

BUSY_PAGE = (
    "<!doctype html><html lang=vi><meta charset=utf-8><title>Máy chủ đang bận</title>"
    "<h1>Máy chủ đang bận</h1><p>Máy chủ đang bận, vui lòng thử lại sau ít phút.</p></html>"
).encode()
BUSY_JSON = (
    '{"error": {"code": "server_busy", "message": "Máy chủ đang bận, vui lòng thử lại sau ít '
    'phút."}}'
).encode()


class ConcurrencyLimit:
    """WSGI middleware: at most ``limit`` requests inside ``app`` at once; a slot is held until
    the response has been sent (streamed downloads included), then given to the next."""

    def __init__(self, app: WSGIApp, limit: int, wait_seconds: float) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.app = app
        self.limit = limit
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(limit)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if not self._slots.acquire(timeout=self.wait_seconds):
            return _busy(environ, start_response)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._slots.release()
            raise
        return _ReleasingBody(body, self._slots.release)


class _ReleasingBody:
    """The app's response body, releasing the slot once the server closes it."""

    def __init__(self, body: Iterable[bytes], release: Callable[[], None]) -> None:
        self._body = body
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            if self._release is not None:
                self._release()
                self._release = None


def _busy(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    as_json = path.startswith(("/api/", "/healthz", "/metrics"))
    body = BUSY_JSON if as_json else BUSY_PAGE
    content_type = "application/json" if as_json else "text/html; charset=utf-8"
    start_response(
        "503 Service Unavailable",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), ("Retry-After", "5")],
    )
    return [body]


def serve_threads() -> int:
    """Requests one ``edoc serve`` process runs at once: EDOC_WEB_THREADS (gunicorn's setting
    of the same meaning), 8 by default, at most 15 (the database pool's size)."""
    return max(1, min(15, int(os.environ.get("EDOC_WEB_THREADS", "8"))))


def serve_wait() -> float:
    """How long a request waits for a slot before its 503: EDOC_WEB_TIMEOUT (default 120 s)."""
    return float(os.environ.get("EDOC_WEB_TIMEOUT", "120"))
