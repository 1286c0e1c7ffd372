"""A busy database: reads never queue behind writers, a write that cannot get in answers 503.

Real SQLite files and real threads: another connection holds the write lock, as a long write by
another request would, and the app must keep serving pages and refuse writes cleanly.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from edoc.core import db as core_db
from edoc.core.extensions import db
from tests.fixtures.app import DEMO_PASSWORD, api_token, login, signed_in
from tests.fixtures.documents import receive_incoming
from tests.fixtures.selfsigned import blank_pdf
from tests.fixtures.threads import in_parallel


def _database_file(app: Flask) -> Path:
    with app.app_context():
        assert db.engine.url.database is not None
        return Path(db.engine.url.database)


@pytest.fixture
def sqlite_app(app: Flask, demo: None) -> Flask:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's single write lock")
    return app


@pytest.fixture
def write_lock_held(
    sqlite_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sqlite3.Connection]:
    """Another connection inside ``BEGIN IMMEDIATE``: SQLite's only write lock is taken, and the
    app's connections give up after 1.5 s instead of 30."""
    with sqlite_app.app_context():
        db.engine.dispose()  # new connections take the short busy timeout
    monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_MS", 1500)
    other = sqlite3.connect(_database_file(sqlite_app), isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    yield other
    other.execute("ROLLBACK")
    other.close()


def test_pages_are_read_while_another_connection_writes(sqlite_app: Flask) -> None:
    client = signed_in(sqlite_app, "vanthu")
    other = sqlite3.connect(_database_file(sqlite_app), isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        for path in ("/dashboard", "/incoming/", "/search/?q=test"):
            assert client.get(path).status_code == 200, path
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_write_that_cannot_get_the_lock_answers_503_and_changes_nothing(
    sqlite_app: Flask, write_lock_held: sqlite3.Connection
) -> None:
    client = sqlite_app.test_client()
    response = login(client, "vanthu")  # sign-in writes (session, audit): it must wait, then 503
    assert response.status_code == 503
    assert "Máy chủ đang bận, vui lòng thử lại" in response.get_data(as_text=True)
    api = sqlite_app.test_client().post(
        "/api/v1/auth/token", json={"username": "vanthu", "password": DEMO_PASSWORD}
    )
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "database_busy"
    write_lock_held.execute("ROLLBACK")
    write_lock_held.execute("BEGIN IMMEDIATE")  # the fixture's teardown rolls this one back
    assert write_lock_held.execute("SELECT count(*) FROM user_sessions").fetchone()[0] == 0


def test_many_sign_ins_at_once_all_succeed_beside_readers(sqlite_app: Flask) -> None:
    """Before: every sign-in held the write lock through its Argon2 check, so they queued."""
    reader = signed_in(sqlite_app, "lanhdao")
    sign_ins: list[int] = []
    pages: list[int] = []

    def act(username: str) -> None:
        if username == "reader":
            pages.extend(reader.get("/dashboard").status_code for _ in range(5))
        else:
            sign_ins.append(login(sqlite_app.test_client(), username).status_code)

    users = ["vanthu", "chuyenvien", "lanhdao", "luutru"] * 4
    assert in_parallel(act, [(name,) for name in [*users, "reader"]]) == []
    assert sign_ins == [302] * len(users)
    assert pages == [200] * 5
    with sqlite_app.app_context():
        sessions = db.session.scalar(text("SELECT count(*) FROM user_sessions"))
    assert sessions == len(users) + 1


def test_a_read_that_writes_its_audit_entry_waits_for_the_lock_and_records_it(
    sqlite_app: Flask,
) -> None:
    """A file download (GET) reads in a deferred transaction, then takes the write lock for its
    audit entry: it waits for the writer ahead instead of failing on a stale snapshot."""
    client = sqlite_app.test_client()
    headers = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    document_id = receive_incoming(client, headers, blank_pdf("Cong van tai xuong"))
    database = _database_file(sqlite_app)

    def audit_count() -> int:
        with sqlite3.connect(database) as reader:
            return int(reader.execute("SELECT count(*) FROM audit_events").fetchone()[0])

    before = audit_count()
    other = sqlite3.connect(database, isolation_level=None, timeout=0, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # a writer ahead, committing a second later
    other.execute("UPDATE users SET failed_logins = failed_logins WHERE username = 'luutru'")
    release = threading.Timer(1.0, lambda: (other.execute("COMMIT"), other.close()))
    release.start()
    download = client.get(f"/api/v1/documents/{document_id}/file", headers=headers)
    release.join()
    assert download.status_code == 200
    assert audit_count() == before + 1
