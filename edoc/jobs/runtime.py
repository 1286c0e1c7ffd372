"""Task code runs inside the Flask app: the app that was bound to the queue with ``init_jobs``.

The app factory binds every app it builds (``create_app`` calls :func:`init_jobs`); ``edoc
worker`` is a Flask command, so its app is built once by the command and every task its
consumer threads run uses that app. No task module imports the app factory: the factory is
above the areas, the queue below them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

_bound: Flask | None = None


def init_jobs(app: Flask) -> None:
    """Make ``app`` the one tasks run in when no app context is active (a worker thread).

    The queue is one per process (:mod:`edoc.jobs.queue`), so the app built last is the one
    bound; a process builds one app, tests build many and run tasks inside their own.
    """
    global _bound
    _bound = app
    app.extensions["edoc.jobs"] = True


@contextmanager
def app_context() -> Iterator[Flask]:
    """The current app when called from a request, a command or a test (immediate mode);
    otherwise the bound app, in a fresh app context (one per task, so its session is too)."""
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _bound is None:
        raise RuntimeError("no app bound to the job queue: create_app() calls init_jobs(app)")
    with _bound.app_context():
        yield _bound
