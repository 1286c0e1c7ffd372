"""Redis restarted under a running edoc: what was queued survives, what could not be queued
meanwhile is picked up from the database, and no document is lost or indexed twice.

A private ``redis-server`` (append-only file, as docs/operations.md asks of production), never
the machine's shared one; ``edoc serve`` and ``edoc worker`` as separate processes on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from edoc.jobs.queue import make_huey
from tests.fixtures.installations import REPO, ApiSession, free_port
from tests.fixtures.private_redis import PrivateRedis
from tests.fixtures.processes import spawn_logged, stop_all, wait_for, wait_ready
from tests.fixtures.selfsigned import blank_pdf

PASSWORD = "edoc-redis-test"
FIELDS = {
    "sender_org": "Sở Tài chính tỉnh Demo",
    "number_notation": "15/STC-NS",
    "doc_type": "CV",
    "received_via": "paper",
    "issued_date": "2026-01-10",
}
T = TypeVar("T")


def _poll(what: str, probe: Callable[[], T | None], timeout: float = 180) -> T:
    return wait_for(what, probe, timeout, pause=1)


@dataclass
class Site:
    root: Path
    queue: PrivateRedis
    env: dict[str, str]
    url: str
    processes: dict[str, subprocess.Popen[bytes]]

    def spawn(self, name: str, *args: str) -> None:
        self.processes[name] = spawn_logged(
            [sys.executable, "-m", "edoc.cli", *args],
            env=self.env,
            cwd=self.root,
            log=self.root / f"{name}.log",
            append=True,
        )

    def stop_all(self) -> None:
        stop_all(self.processes.values(), 30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("redis-restart")
    queue = PrivateRedis()
    queue.start()
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("EDOC_", "FLASK_"))}
    env = {
        **inherited,
        "PYTHONPATH": str(REPO),
        "EDOC_DATA_DIR": str(root / "var"),
        "EDOC_DATABASE_URL": f"sqlite:///{root / 'edoc.db'}",
        "EDOC_STORAGE_URL": f"file://{root / 'blobs'}",
        "EDOC_QUEUE_URL": queue.url,
        "EDOC_SEARCH_URL": "db",
        "EDOC_SECRET_KEY": "redis-restart-test-secret",
        "EDOC_DEMO_PASSWORD": PASSWORD,
        "EDOC_PORT": str(port),
        "EDOC_HOST": "127.0.0.1",
        "EDOC_RATELIMIT_LOGIN": "10000 per minute",
        "EDOC_RATELIMIT_TOKEN": "10000 per minute",
    }
    made = Site(root, queue, env, f"http://127.0.0.1:{port}", {})
    subprocess.run(
        [sys.executable, "-m", "edoc.cli", "db", "upgrade"],
        env=env,
        cwd=root,
        check=True,
        capture_output=True,
        timeout=300,
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from edoc.app import create_app\n"
            "from edoc.demo.agency import create_demo_agency\n"
            f"with create_app().app_context(): create_demo_agency({PASSWORD!r})\n",
        ],
        env=env,
        cwd=root,
        check=True,
        capture_output=True,
        timeout=300,
    )
    made.spawn("web", "serve", "--no-worker", "--no-signer", "--port", str(port))
    wait_ready(f"{made.url}/healthz/live", made.processes.items(), timeout=120)
    yield made
    made.stop_all()
    queue.destroy()


def _register(api: ApiSession, subject: str) -> requests.Response:
    content = blank_pdf(subject)
    return api.post(
        "/api/v1/incoming",
        data={**FIELDS, "subject": subject},
        files={"file": ("vb.pdf", content, "application/pdf")},
    )


def _found(api: ApiSession, word: str) -> list[Any]:
    answer = api.get("/api/v1/search", params={"q": word})
    return answer.json()["results"] if answer.status_code == 200 else []


def test_queued_work_survives_a_redis_restart_and_nothing_is_lost(site: Site) -> None:
    api = ApiSession(site.url)
    token = api.post("/api/v1/auth/token", json={"username": "vanthu", "password": PASSWORD})
    assert token.status_code == 201, token.text
    api.headers["Authorization"] = f"Bearer {token.json()['token']}"
    huey = make_huey(site.queue.url)

    first = _register(api, "Báo cáo thủy lợi Hồ Kẻ Gỗ")  # no worker yet: its tasks wait
    assert first.status_code == 201, first.text
    waiting = huey.pending_count()
    assert waiting > 0

    site.queue.stop()
    try:
        during = _register(api, "Báo cáo đê điều Cửa Hội")
        page = api.get("/api/v1/incoming")
    finally:
        site.queue.start()
    # The database is the record: registering does not depend on the queue.
    assert during.status_code in (201, 503), during.text
    if during.status_code == 503:
        assert during.json()["error"]["message"]
    assert page.status_code == 200
    assert huey.pending_count() >= waiting  # the append-only file kept what was queued

    site.spawn("worker", "worker")
    expected = {first.json()["id"]} | (
        {during.json()["id"]} if during.status_code == 201 else set()
    )
    for word, document_id in (("Kẻ Gỗ", first.json()["id"]), ("Cửa Hội", None)):
        if document_id is None and during.status_code != 201:
            continue
        items = _poll(f"search finds {word!r}", lambda w=word: _found(api, w))
        assert len(items) == 1, items  # indexed once, not twice
    listed = {item["id"] for item in api.get("/api/v1/incoming").json()["items"]}
    assert listed == expected
    numbers = sorted(item["arrival_number"] for item in api.get("/api/v1/incoming").json()["items"])
    assert numbers == list(range(1, len(expected) + 1))
