"""Liveness and readiness, ``/metrics`` and who may read it, request ids (echoed, carried into
queued tasks, in JSON logs), and the production settings (secrets from files, proxies, HTTPS)."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from pathlib import Path

import pytest
from flask import Flask, g, request
from flask.testing import FlaskClient

from edoc.app import create_app
from edoc.config import ConfigError, Settings
from edoc.core.logs import JsonFormatter, RequestIdFilter, current_request_id
from edoc.jobs.queue import EdocMemoryHuey
from tests.fixtures.app import _settings


def test_liveness_checks_nothing_and_readiness_names_every_part(client: FlaskClient) -> None:
    assert client.get("/healthz/live").get_json() == {"status": "ok"}
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200
    body = ready.get_json()
    assert {body[part] for part in ("database", "storage", "queue", "search")} == {"ok"}
    assert client.get("/healthz").get_json() == body  # the old address answers the same


def test_readiness_is_503_naming_what_is_down_while_liveness_holds(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "edoc.db"
    app = create_app(_settings(tmp_path / "var", f"sqlite:///{missing}"))
    client = app.test_client()
    ready = client.get("/healthz/ready")
    assert ready.status_code == 503
    assert "database" in ready.get_json()["down"]  # and search, kept in the same file
    assert client.get("/healthz/live").status_code == 200


def test_metrics_label_requests_by_route_rule_not_by_path(client: FlaskClient) -> None:
    assert client.get("/api/v1/documents/987654").status_code == 401
    text = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="/api/v1/documents/<int:document_id>"' in text
    assert "987654" not in text
    assert "edoc_http_request_duration_seconds_bucket" in text
    assert "# TYPE edoc_queue_depth gauge" in text


def test_metrics_only_from_loopback_without_a_token(client: FlaskClient) -> None:
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert remote.status_code == 403
    assert remote.get_json()["error"]["code"] == "metrics_forbidden"
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1


def test_metrics_token_is_required_when_set(app: Flask) -> None:
    app.config["EDOC"] = dataclasses.replace(app.config["EDOC"], metrics_token="t0ken-of-scraper")
    client = app.test_client()
    assert client.get("/metrics").status_code == 403  # loopback alone is not enough now
    wrong = client.get("/metrics", headers={"Authorization": "Bearer other"})
    assert wrong.status_code == 403
    right = client.get(
        "/metrics",
        headers={"Authorization": "Bearer t0ken-of-scraper"},
        environ_base={"REMOTE_ADDR": "203.0.113.5"},
    )
    assert right.status_code == 200


def test_request_id_is_echoed_when_sane_and_made_otherwise(client: FlaskClient) -> None:
    sane = client.get("/healthz/live", headers={"X-Request-ID": "proxy-42.a"})
    assert sane.headers["X-Request-ID"] == "proxy-42.a"
    hostile = client.get("/healthz/live", headers={"X-Request-ID": "x\u00a0<script>"})
    made = hostile.headers["X-Request-ID"]
    assert made != "x\u00a0<script>" and len(made) == 32
    assert client.get("/healthz/live").headers["X-Request-ID"] != made


def test_a_queued_task_carries_the_request_id_into_the_worker(app: Flask) -> None:
    queue = EdocMemoryHuey("carry-test")
    seen: list[str | None] = []

    @queue.pre_execute()
    def _remember(task: object) -> None:  # what edoc.jobs.queue's own hook does
        seen.append(getattr(task, "request_id", None))

    @queue.task()
    def job() -> None:
        pass

    with app.test_request_context("/"):
        g.request_id = "req-from-web"
        job()
    taken: list[object] = []
    worker = threading.Thread(target=lambda: taken.append(queue.dequeue()))  # no request here
    worker.start()
    worker.join()
    task = taken[0]
    assert getattr(task, "request_id", None) == "req-from-web"
    queue.execute(task)  # type: ignore[arg-type]
    assert seen == ["req-from-web"]


def test_json_log_lines_name_the_request(app: Flask) -> None:
    handler_format = JsonFormatter()
    with app.test_request_context("/"):
        g.request_id = "abc-123"
        record = logging.LogRecord("edoc.x", logging.WARNING, __file__, 1, "tệp %s", ("x",), None)
        RequestIdFilter().filter(record)
        line = json.loads(handler_format.format(record))
        assert current_request_id() == "abc-123"
    assert line["request_id"] == "abc-123"
    assert line["message"] == "tệp x"
    assert line["level"] == "WARNING"
    assert isinstance(line["pid"], int)


def test_secrets_may_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("from-a-file\n")
    password = tmp_path / "smtp"
    password.write_text("mật-khẩu\n", encoding="utf-8")
    settings = Settings.from_env(
        {
            "EDOC_DATA_DIR": str(tmp_path),
            "EDOC_SECRET_KEY_FILE": str(secret),
            "EDOC_SMTP_PASSWORD_FILE": str(password),
        }
    )
    assert settings.secret_key == "from-a-file"
    assert settings.smtp_password == "mật-khẩu"


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"EDOC_SECRET_KEY": "x", "EDOC_SECRET_KEY_FILE": "/etc/hostname"}, "set only one"),
        ({"EDOC_METRICS_TOKEN_FILE": "/no/such/file"}, "EDOC_METRICS_TOKEN_FILE: cannot read"),
        ({"EDOC_LOG_FORMAT": "xml"}, "EDOC_LOG_FORMAT: expected text or json"),
        ({"EDOC_PROXY_X_PROTO": "9"}, "EDOC_PROXY_X_PROTO: must be between 0 and 5"),
    ],
)
def test_bad_production_settings_name_the_variable(
    tmp_path: Path, extra: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"EDOC_DATA_DIR": str(tmp_path), **extra})
    assert fragment in str(caught.value)


def test_https_public_address_makes_cookies_secure(tmp_path: Path) -> None:
    plain = Settings.from_env({"EDOC_DATA_DIR": str(tmp_path)})
    assert plain.session_cookie_secure is False
    https = Settings.from_env(
        {"EDOC_DATA_DIR": str(tmp_path), "EDOC_PUBLIC_URL": "https://edoc.tinh-demo.gov.vn"}
    )
    assert https.session_cookie_secure is True
    assert https.flask_config()["SESSION_COOKIE_SECURE"] is True
    assert https.flask_config()["PREFERRED_URL_SCHEME"] == "https"


def test_behind_one_trusted_proxy_the_client_and_scheme_are_the_proxys(tmp_path: Path) -> None:
    settings = Settings.from_env({"EDOC_DATA_DIR": str(tmp_path), "EDOC_TRUSTED_PROXIES": "1"})
    assert (settings.proxy_x_proto, settings.proxy_x_host, settings.proxy_x_port) == (1, 1, 0)
    app = create_app(_settings(tmp_path / "var", "sqlite://", trusted_proxies=1, proxy_x_proto=1))

    @app.route("/_seen")
    def seen() -> dict[str, str]:
        return {"scheme": request.scheme, "client": str(request.remote_addr)}

    answer = app.test_client().get(
        "/_seen",
        headers={"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"},
    )
    assert answer.get_json() == {"scheme": "https", "client": "198.51.100.7"}
