"""Application fixtures: every app test runs once on SQLite and once on PostgreSQL.

The schema is built by the real Alembic migrations once per database per session; each test
then starts from an empty copy (SQLite: a file copy of the migrated template; PostgreSQL: a
private schema truncated between tests), so tests are isolated and fast.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import TestResponse

from edoc.app import create_app
from edoc.config import Settings
from edoc.extensions import db

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEMO_PASSWORD = "edoc-demo-test"
# Seeded by the migrations and never changed by tests: kept between tests.
REFERENCE_TABLES = ("alembic_version", "document_types", "registers")


def _postgres_url() -> str | None:
    """The PostgreSQL to test on: EDOC_TEST_DATABASE_URL, or the local server if it answers."""
    url = os.environ.get("EDOC_TEST_DATABASE_URL", DEFAULT_PG_URL)
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        if "EDOC_TEST_DATABASE_URL" in os.environ:
            raise
        return None
    return url


def _with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def _settings(data_dir: Path, database_url: str, **extra: object) -> Settings:
    # Tests sign in many times from one address; test_login_hardening.py lowers the limits.
    extra = {"ratelimit_login": "10000 per minute", "ratelimit_token": "10000 per minute", **extra}
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        storage_url=f"file://{data_dir / 'blobs'}",
        search_url="db",
        secret_key="test-secret-key",
        demo_password=DEMO_PASSWORD,
        lockout_threshold=3,
        **extra,  # type: ignore[arg-type]
    )


def _migrate(database_url: str, data_dir: Path) -> None:
    app = create_app(_settings(data_dir, database_url))
    with app.app_context():
        from edoc.migrate import upgrade

        upgrade()
        db.engine.dispose()


@dataclass
class DatabaseUnderTest:
    kind: str
    url: str
    template: Path | None = None  # SQLite only

    def fresh_url(self, tmp_path: Path) -> str:
        if self.template is not None:
            target = tmp_path / "edoc.db"
            shutil.copyfile(self.template, target)
            return f"sqlite:///{target}"
        return self.url

    def reset(self) -> None:
        """Empty every table of the PostgreSQL test schema (triggers off: this is the test rig)."""
        if self.template is not None:
            return
        engine = create_engine(self.url)
        with engine.begin() as connection:
            connection.execute(text("SET session_replication_role = replica"))
            tables = connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename <> ALL(:keep)"
                ),
                {"keep": list(REFERENCE_TABLES)},
            ).scalars()
            names = ", ".join(f'"{name}"' for name in tables)
            if names:
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            connection.execute(
                text("INSERT INTO audit_head (id, seq, last_hash) VALUES (1, 0, :h)"),
                {"h": "0" * 64},
            )
        engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseUnderTest]:
    if request.param == "sqlite":
        base = tmp_path_factory.mktemp("sqlite-template")
        template = base / "template.db"
        _migrate(f"sqlite:///{template}", base)
        yield DatabaseUnderTest("sqlite", f"sqlite:///{template}", template)
        return
    server_url = _postgres_url()
    if server_url is None:
        pytest.skip("PostgreSQL does not answer at 127.0.0.1:5432 (set EDOC_TEST_DATABASE_URL)")
    schema = f"edoc_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(server_url, schema)
    _migrate(url, tmp_path_factory.mktemp("pg-migrate"))
    yield DatabaseUnderTest("postgresql", url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def app(database: DatabaseUnderTest, tmp_path: Path) -> Iterator[Flask]:
    database.reset()
    application = create_app(
        _settings(tmp_path / "var", database.fresh_url(tmp_path)), overrides={"TESTING": True}
    )
    # No app context stays pushed: each request must get its own, as in production (flask.g,
    # the login cache and the DB session live there). Tests open one with app.app_context().
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def demo(app: Flask) -> None:
    """The demo agency: units and one user per role (password DEMO_PASSWORD)."""
    from edoc.demo import create_demo_agency

    with app.app_context():
        create_demo_agency(DEMO_PASSWORD)


def csrf_token_from(html: str) -> str:
    """The token every page carries in ``<meta name="csrf-token">``."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> TestResponse:
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token_from(page)},
    )


def api_token(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


@pytest.fixture
def live_server(app: Flask, demo: None) -> Iterator[str]:
    """The app served on a free loopback port, for the browser tests."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
