"""PostgreSQL restarted under a running edoc: requests fail cleanly (503), then it recovers, and
no arrival number is lost or given twice.

A private cluster (``tests/fixtures/private_services.py``), never the machine's shared server.
The app is the real one in this process, on that cluster; no part of edoc is replaced.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from edoc.app import create_app
from edoc.core.extensions import db
from edoc.demo.agency import create_demo_agency
from edoc.incoming.models import IncomingDocument
from tests.fixtures.app import DEMO_PASSWORD, _migrate, _settings, api_token, signed_in
from tests.fixtures.documents import post_incoming
from tests.fixtures.private_services import PG_BIN, PrivatePostgres
from tests.fixtures.selfsigned import blank_pdf


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15's initdb is not installed")
    cluster = PrivatePostgres()
    try:
        cluster.init()
    except subprocess.CalledProcessError as error:
        cluster.destroy()
        pytest.skip(f"cannot start a private PostgreSQL: {error.stderr!r}")
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="module")
def app(postgres: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("pg-restart")
    _migrate(postgres.url, folder / "migrate")
    application = create_app(_settings(folder / "var", postgres.url), overrides={"TESTING": True})
    with application.app_context():
        create_demo_agency(DEMO_PASSWORD)
    yield application
    with application.app_context():
        db.engine.dispose()


def _arrival_numbers(app: Flask) -> list[int]:
    with app.app_context():
        numbers = db.session.scalars(
            select(IncomingDocument.arrival_number).order_by(IncomingDocument.arrival_number)
        ).all()
        db.session.rollback()
    return list(numbers)


def test_a_database_restart_answers_503_then_recovers_without_losing_a_number(
    app: Flask, postgres: PrivatePostgres
) -> None:
    api = app.test_client()
    clerk = {"Authorization": f"Bearer {api_token(api, 'vanthu')}"}
    browser = signed_in(app, "vanthu")
    for index in (1, 2):
        answer = post_incoming(api, clerk, blank_pdf(f"Cong van {index}"))
        assert answer.status_code == 201, answer.get_json()

    postgres.stop()
    try:
        down = post_incoming(api, clerk, blank_pdf("Cong van 3"))
        page = browser.get("/dashboard")
        ready = api.get("/healthz/ready")
        live = api.get("/healthz/live")
    finally:
        postgres.start()
    assert down.status_code == 503
    assert down.get_json()["error"]["code"] == "database_busy"
    assert page.status_code == 503
    assert "Máy chủ đang bận, vui lòng thử lại" in page.get_data(as_text=True)
    assert ready.status_code == 503 and "database" in ready.get_json()["down"]
    assert live.status_code == 200  # the process is fine: its supervisor must not restart it

    # Back: at most one more clean 503 (a pooled connection from before the restart), then served.
    answers = [post_incoming(api, clerk, blank_pdf("Cong van 3")) for _ in range(2)]
    statuses = [answer.status_code for answer in answers]
    assert statuses in ([201, 201], [503, 201]), [a.get_json() for a in answers]
    assert browser.get("/dashboard").status_code == 200
    assert api.get("/healthz/ready").status_code == 200
    created = statuses.count(201)
    assert _arrival_numbers(app) == list(range(1, 3 + created))  # no gap, no number twice
