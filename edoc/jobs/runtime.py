"""Running task code inside the Flask app, in the worker process or inline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context

_worker_app: Flask | None = None


@contextmanager
def app_context() -> Iterator[Flask]:
    """The current app when called from a request or a test; a worker-wide app otherwise."""
    global _worker_app
    if has_app_context():
        yield current_app._get_current_object()  # type: ignore[attr-defined]
        return
    if _worker_app is None:
        from edoc.app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield _worker_app


def in_app(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with app_context():
            return function(*args, **kwargs)

    wrapped.__name__ = function.__name__
    wrapped.__doc__ = function.__doc__
    return wrapped
