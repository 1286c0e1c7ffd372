"""Sign-in cannot tell account names apart, and is rate-limited per address (issue 15, item 14)."""

from __future__ import annotations

import secrets
import socket
import statistics
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.app import create_app
from edoc.config import ConfigError, Settings
from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.users.models import User
from tests.fixtures.app import DatabaseUnderTest, _settings, login

GENERIC = {
    "error": {"code": "invalid_credentials", "message": "Tên đăng nhập hoặc mật khẩu không đúng."}
}


def _with_settings(app: Flask, **changes: object) -> None:
    app.config["EDOC"] = replace(app.config["EDOC"], **changes)


def _token_attempt(client: FlaskClient, username: str) -> tuple[float, object]:
    started = time.perf_counter()
    response = client.post(
        "/api/v1/auth/token", json={"username": username, "password": "wrong-password"}
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 401
    return elapsed, response.get_json()


def test_unknown_locked_and_inactive_accounts_cost_a_password_check(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    """Each refusal runs one real Argon2 verification (150 ms here against 4 ms without), so
    the time taken does not say whether the account exists. Medians of interleaved attempts,
    compared with a wide margin: without the dummy verification the ratio is about 0.03."""
    _with_settings(app, lockout_threshold=100)  # wrong passwords must not lock 'vanthu' here
    with app.app_context():
        for name, change in [("luutru", {"active": False}), ("lanhdao", {"locked": True})]:
            user = db.session.scalar(select(User).where(User.username == name))
            if change.get("active") is False:
                user.active = False
            else:
                user.locked_until = utcnow() + timedelta(days=1)
        db.session.commit()
    _token_attempt(client, "vanthu")  # warm-up: first request, first queries
    times: dict[str, list[float]] = {"vanthu": [], "nobody": [], "luutru": [], "lanhdao": []}
    for _ in range(5):
        for username, samples in times.items():
            elapsed, body = _token_attempt(client, username)
            assert body == GENERIC  # the same answer whatever the reason
            samples.append(elapsed)
    known = statistics.median(times["vanthu"])
    for refused in ["nobody", "luutru", "lanhdao"]:
        ratio = statistics.median(times[refused]) / known
        assert ratio > 0.5, f"{refused}: {ratio:.2f} of a wrong password's time"


def test_too_many_logins_from_one_address_get_429(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    _with_settings(app, ratelimit_login="3 per minute")
    for _ in range(3):
        assert login(client, "nobody", "wrong-password").status_code == 401
    refused = login(client, "vanthu")  # even the right password, from this address
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Quá nhiều yêu cầu, vui lòng thử lại sau." in refused.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # the page itself is still served

    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.20.30.40"
    assert login(elsewhere, "vanthu").status_code == 302


def test_too_many_token_requests_from_one_address_get_429_json(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    _with_settings(app, ratelimit_token="2 per minute")
    for _ in range(2):
        _token_attempt(client, "vanthu")
    refused = client.post(
        "/api/v1/auth/token", json={"username": "vanthu", "password": "edoc-demo-test"}
    )
    assert refused.status_code == 429
    assert refused.get_json() == {
        "error": {
            "code": "too_many_requests",
            "message": "Quá nhiều yêu cầu, vui lòng thử lại sau.",
        }
    }
    assert int(refused.headers["Retry-After"]) > 0

    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.20.30.41"
    granted = elsewhere.post(
        "/api/v1/auth/token", json={"username": "vanthu", "password": "edoc-demo-test"}
    )
    assert granted.status_code == 201


def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    database.reset()
    app = create_app(
        _settings(
            tmp_path / "var",
            database.fresh_url(tmp_path),
            trusted_proxies=1,
            ratelimit_token="1 per minute",
            ratelimit_login="1 per minute",
        )
    )
    client = app.test_client()  # every request comes from the proxy, 127.0.0.1

    def attempt(client_address: str) -> int:
        return client.post(
            "/api/v1/auth/token",
            json={"username": "nobody", "password": "x"},
            headers={"X-Forwarded-For": client_address},
        ).status_code

    assert attempt("203.0.113.7") == 401
    assert attempt("203.0.113.7") == 429
    assert attempt("203.0.113.8") == 401
    with app.app_context():
        db.engine.dispose()


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_limits_are_counted_in_redis_when_the_queue_is_on_redis(
    app: Flask, tmp_path: Path, demo: None
) -> None:
    """Production runs several web processes: their counters must be shared, in Redis."""
    import redis

    settings = Settings.from_env(
        {"EDOC_DATA_DIR": str(tmp_path), "EDOC_QUEUE_URL": "redis://127.0.0.1:6379/14"}
    )
    assert settings.ratelimit_storage_url == "redis://127.0.0.1:6379/14"
    redis_app = create_app(
        replace(
            app.config["EDOC"],
            ratelimit_storage_url=settings.ratelimit_storage_url,
            ratelimit_token="2 per minute",
        )
    )
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    client = redis_app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    statuses = [
        client.post("/api/v1/auth/token", json={"username": "x", "password": "y"}).status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
    keys = redis.Redis.from_url("redis://127.0.0.1:6379/14").keys(f"*{address}*")
    assert keys, "no rate-limit counter in Redis"
    with redis_app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EDOC_RATELIMIT_LOGIN", "lots"),
        ("EDOC_RATELIMIT_LOGIN", "0 per minute"),
        ("EDOC_RATELIMIT_TOKEN", ""),
        ("EDOC_RATELIMIT_STORAGE_URL", "mongodb://x"),
        ("EDOC_TRUSTED_PROXIES", "9"),
    ],
)
def test_bad_limit_settings_name_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"EDOC_DATA_DIR": str(tmp_path), name: value})
    assert str(caught.value).startswith(f"{name}: ")


def test_limit_storage_defaults(tmp_path: Path) -> None:
    def storage(**env: str) -> str:
        return Settings.from_env({"EDOC_DATA_DIR": str(tmp_path), **env}).ratelimit_storage_url

    assert storage() == "memory://"
    assert storage(EDOC_QUEUE_URL=f"sqlite:///{tmp_path}/q.db") == "memory://"
    assert storage(EDOC_QUEUE_URL="redis://queue:6379/0") == "redis://queue:6379/0"
    assert (
        storage(EDOC_QUEUE_URL="redis://queue:6379/0", EDOC_RATELIMIT_STORAGE_URL="redis://rl/1")
        == "redis://rl/1"
    )
