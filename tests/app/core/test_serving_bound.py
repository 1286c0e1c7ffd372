"""``edoc serve`` bounds the requests it runs at once to what the database pool can serve.

A real threaded Werkzeug server, real connections and a pool cut down to two connections: with
the bound every one of many simultaneous requests is answered; a request that finds no free
connection in time answers a clean 503, never a 500.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
from flask import Flask
from werkzeug.serving import make_server

from edoc.app import create_app
from edoc.core.extensions import db
from edoc.core.serving import ConcurrencyLimit
from edoc.demo.agency import create_demo_agency
from tests.fixtures.app import DEMO_PASSWORD, DatabaseUnderTest, _settings, csrf_token_from
from tests.fixtures.threads import in_parallel

TWO_CONNECTIONS = {"pool_size": 2, "max_overflow": 0, "pool_timeout": 0.5}


def _small_pool_app(database: DatabaseUnderTest, tmp_path: Path) -> Flask:
    database.reset()
    app = create_app(
        _settings(tmp_path / "var", database.fresh_url(tmp_path)),
        overrides={"TESTING": True, "SQLALCHEMY_ENGINE_OPTIONS": TWO_CONNECTIONS},
    )
    with app.app_context():
        create_demo_agency(DEMO_PASSWORD)
    return app


@contextmanager
def _served(wsgi_app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _signed_in(base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=120)
    token = csrf_token_from(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": "vanthu", "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302
    return client


def test_many_requests_at_once_are_all_served_within_the_pool(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    app = _small_pool_app(database, tmp_path)
    statuses: list[int] = []
    with _served(ConcurrencyLimit(app, limit=2, wait_seconds=120)) as url:
        client = _signed_in(url)

        def read(path: str) -> None:
            statuses.append(client.get(path).status_code)

        errors = in_parallel(read, [("/dashboard",), ("/incoming/",), ("/healthz/ready",)] * 8)
        client.close()
    assert errors == []
    assert statuses == [200] * 24
    with app.app_context():
        db.engine.dispose()


def test_no_free_connection_answers_503_not_500(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    app = _small_pool_app(database, tmp_path)
    with _served(app) as url:
        client = _signed_in(url)
        with app.app_context(), ExitStack() as held:
            for _ in range(2):  # every pooled connection is busy elsewhere
                held.enter_context(db.engine.connect())
            page = client.get("/dashboard")
            api = client.get("/api/v1/incoming", headers={"Accept": "application/json"})
        after = client.get("/dashboard")
        client.close()
    assert page.status_code == 503
    assert "Máy chủ đang bận, vui lòng thử lại" in page.text
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "database_busy"
    assert after.status_code == 200  # the connections came back: served again
    with app.app_context():
        db.engine.dispose()


def test_a_request_that_waits_too_long_for_a_slot_answers_503() -> None:
    release = threading.Event()

    def slow_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        release.wait(30)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    limited = ConcurrencyLimit(slow_app, limit=1, wait_seconds=0.2)
    with _served(limited) as url:
        first: list[int] = []
        holder = threading.Thread(
            target=lambda: first.append(httpx.get(url, timeout=60).status_code)
        )
        holder.start()
        while limited._slots._value:  # the first request holds the only slot
            threading.Event().wait(0.01)
        busy = httpx.get(f"{url}/api/v1/incoming", timeout=60)
        release.set()
        holder.join()
    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "server_busy"
    assert first == [200]
