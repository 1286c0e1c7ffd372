"""The whole journey on the production profile, several clients at once: nothing may depend on
which gunicorn worker answers (sessions, CSRF, arrival and outgoing numbers, upload tokens, the
signer's prepared state between prepare and finish, the outbox drained by another process).
Then a storage outage and a worker killed mid-upload; then ``/metrics``.

The tests of this module run in order on one profile (module fixture): each leaves what the
next one reads (documents, counters).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest
import redis
import requests

from tests.fixtures.drafts import draft_pdf
from tests.fixtures.installations import DEMO_PASSWORD, ApiSession, free_port
from tests.fixtures.processes import spawn_logged, wait_for
from tests.fixtures.production import ProductionProfile
from tests.fixtures.selfsigned import blank_pdf, make_signed_pdf

pytestmark = pytest.mark.production

CLERKS = 4  # parallel clerk sessions (one account, separate tokens)
PER_CLERK = 3
INCOMING_FIELDS = {
    "sender_org": "Sở Tài chính tỉnh Demo",
    "doc_type": "CV",
    "received_via": "paper",
    "issued_date": "2026-01-10",
}


def _fresh(profile: ProductionProfile) -> dict[str, str]:
    """Headers for a request on a new connection (so the kernel may hand it to any worker),
    with an id the test can find in the web log afterwards."""
    return {"Connection": "close", "X-Request-ID": f"journey-{uuid.uuid4().hex}"}


def _served_by(profile: ProductionProfile, prefix: str = "journey-") -> dict[str, int]:
    """Request id -> pid of the gunicorn worker that logged it (JSON lines of the web log)."""
    found: dict[str, int] = {}
    for log in profile.log_dir.glob("web.*.log"):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            entry = json.loads(line)
            request_id = entry.get("request_id") or ""
            if request_id.startswith(prefix) and entry.get("logger") == "edoc.request":
                found[request_id] = entry["pid"]
    return found


def _parallel(function: Callable[[int], Any], count: int) -> list[Any]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(function, range(count)))


def _csrf(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def _poll(what: str, check: Callable[[], Any], timeout: float = 90) -> Any:
    return wait_for(what, check, timeout)


def _receive(
    api: ApiSession, profile: ProductionProfile, content: bytes, subject: str, **fields: str
) -> requests.Response:
    return api.post(
        "/api/v1/incoming",
        data={**INCOMING_FIELDS, "subject": subject, **fields},
        files={"file": ("van-ban.pdf", content, "application/pdf")},
        headers=_fresh(profile),
    )


# ---- the journey ---------------------------------------------------------------------------


def test_a_browser_session_and_its_csrf_token_hold_on_every_worker(
    profile: ProductionProfile,
) -> None:
    browser = requests.Session()
    page = browser.get(f"{profile.url}/login", headers=_fresh(profile))
    signed_in = browser.post(
        f"{profile.url}/login",
        data={"username": "vanthu", "password": DEMO_PASSWORD, "csrf_token": _csrf(page.text)},
        headers=_fresh(profile),
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    token = ""
    for _ in range(12):  # new connections: the session must be known whichever worker answers
        dashboard = browser.get(
            f"{profile.url}/dashboard", headers=_fresh(profile), allow_redirects=False
        )
        assert dashboard.status_code == 200
        token = _csrf(dashboard.text)
    # the token of one worker's page is accepted by whichever worker takes the form
    out = browser.post(
        f"{profile.url}/logout",
        data={"csrf_token": token},
        headers=_fresh(profile),
        allow_redirects=False,
    )
    assert out.status_code == 302
    after = browser.get(f"{profile.url}/dashboard", headers=_fresh(profile), allow_redirects=False)
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_concurrent_clerks_get_every_arrival_number_once(profile: ProductionProfile) -> None:
    admin = profile.api("quantri")
    refused_port = free_port()  # nothing listens: every delivery attempt fails
    hook = admin.post(
        "/api/v1/webhooks",
        json={
            "name": "Hệ thống không trả lời",
            "url": f"http://127.0.0.1:{refused_port}/hook",
            "events": ["document.registered"],
        },
    )
    assert hook.status_code == 201, hook.text

    def clerk(index: int) -> list[int]:
        api = profile.api("vanthu")
        numbers = []
        for n in range(PER_CLERK):
            subject = f"Báo cáo quyết toán ngân sách đợt {index}-{n} kho bạc"
            content = blank_pdf(f"Cong van {index}-{n}")
            if n % 2:  # analysed on one worker, registered with its upload token on another
                analysed = api.post(
                    "/api/v1/incoming/analyse",
                    data={"received_via": "paper"},
                    files={"file": ("quet.pdf", content, "application/pdf")},
                    headers=_fresh(profile),
                )
                assert analysed.status_code == 200, analysed.text
                answer = api.post(
                    "/api/v1/incoming",
                    data={
                        **INCOMING_FIELDS,
                        "subject": subject,
                        "upload_token": analysed.json()["upload_token"],
                    },
                    headers=_fresh(profile),
                )
            else:
                answer = _receive(api, profile, content, subject)
            assert answer.status_code == 201, answer.text
            assert answer.json()["status"] == "registered"
            numbers.append(answer.json()["arrival_number"])
        return numbers

    numbers = sorted(n for batch in _parallel(clerk, CLERKS) for n in batch)
    assert numbers == list(range(numbers[0], numbers[0] + CLERKS * PER_CLERK))  # no gap, no double

    # An electronic document whose signature does not validate (self-signed) is held.
    api = profile.api("vanthu")
    (profile.root / "selfsigned").mkdir(exist_ok=True)
    signed, _root = make_signed_pdf(profile.root / "selfsigned", "Người Ký Lạ")
    held = _receive(
        api,
        profile,
        signed.read_bytes(),
        "Văn bản điện tử chữ ký không tin cậy",
        received_via="electronic",
        number_notation="9/XYZ",
    )
    assert held.status_code == 201, held.text
    assert held.json()["status"] == "received"


def test_the_leader_routes_what_clerks_present(profile: ProductionProfile) -> None:
    clerk, leader = profile.api("vanthu"), profile.api("lanhdao")
    leader_id = leader.get("/api/v1/me").json()["id"]
    units = [u for u in leader.get("/api/v1/units").json() if u.get("parent_id")]
    listing = clerk.get("/api/v1/incoming", params={"status": "registered"}).json()["items"]
    ids = [item["id"] for item in listing][:4]
    assert len(ids) == 4

    def present_and_route(index: int) -> str:
        document_id = ids[index]
        presented = clerk.post(
            f"/api/v1/incoming/{document_id}/present",
            json={"leader_id": leader_id},
            headers=_fresh(profile),
        )
        assert presented.status_code == 200, presented.text
        routed = leader.post(
            f"/api/v1/incoming/{document_id}/route",
            json={"direction": "Giao chủ trì xử lý", "lead_unit_id": units[0]["id"]},
            headers=_fresh(profile),
        )
        assert routed.status_code == 200, routed.text
        return str(routed.json()["status"])

    assert _parallel(present_and_route, len(ids)) == ["routed"] * len(ids)
    for document_id in ids:
        assert clerk.get(f"/api/v1/documents/{document_id}").json()["status"] == "routed"


@pytest.fixture(scope="module")
def signer(profile: ProductionProfile) -> Iterator[dict[str, Any]]:
    """The real ``edoc-signer`` on the demo leader's SoftHSM token, allowing the profile's
    origin; yields its URL and the token's settings."""
    token = json.loads((profile.data_dir / "leader_token.json").read_text(encoding="utf-8"))
    port = free_port()
    env = {**os.environ, "SOFTHSM2_CONF": str(Path(token["softhsm_dir"]) / "softhsm2.conf")}
    command = [sys.executable, "-m", "signing.agent.cli", "--module", token["module"]]
    command += ["--port", str(port), "--allow-origin", profile.url]
    log = (profile.log_dir / "signer.log").open("wb")
    agent = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    try:
        _poll("edoc-signer listening", up, timeout=30)
        yield {"url": url, **token, "pin": Path(token["pin_file"]).read_text().strip()}
    finally:
        agent.terminate()
        agent.wait(10)
        log.close()


def test_drafts_signed_in_a_batch_through_edoc_signer_then_issued_and_sent(
    profile: ProductionProfile, signer: dict[str, Any]
) -> None:
    drafter, leader = profile.api("chuyenvien"), profile.api("lanhdao")
    leader_id = leader.get("/api/v1/me").json()["id"]

    def draft(index: int) -> int:
        created = drafter.post(
            "/api/v1/outgoing",
            data={
                "doc_type": "QĐ",
                "subject": f"Quyết định phân bổ kinh phí đợt {index}",
                "recipients": "Các sở, ban, ngành\nLưu: VT",
                "authority_prefix": "KT.",
                "signer_title": "Phó Chủ tịch",
            },
            files={"file": ("du-thao.pdf", draft_pdf("QUYET DINH"), "application/pdf")},
            headers=_fresh(profile),
        )
        assert created.status_code == 201, created.text
        document_id = int(created.json()["id"])
        submitted = drafter.post(
            f"/api/v1/outgoing/{document_id}/submit",
            json={"signer_id": leader_id},
            headers=_fresh(profile),
        )
        assert submitted.status_code == 200, submitted.text
        return document_id

    ids = sorted(_parallel(draft, 4))
    origin = {"Origin": profile.url}
    tokens = requests.get(f"{signer['url']}/v1/tokens", headers=origin, timeout=30).json()
    certificate = next(
        c
        for t in tokens["tokens"]
        if t["label"] == signer["token_label"]
        for c in t["certificates"]
        if c["label"] == signer["cert_label"]
    )
    signed: list[int] = []
    for batch in (ids[:2], ids[2:]):  # two batches: two prepare/finish pairs, fresh connections
        prepared = leader.post(
            "/api/v1/outgoing/sign/prepare",
            json={"document_ids": batch, "certificate": certificate["der"]},
            headers=_fresh(profile),
        )
        assert prepared.status_code == 200, prepared.text
        items = prepared.json()["items"]
        answer = requests.post(
            f"{signer['url']}/v1/sign",
            json={
                "certificate": {
                    "token_label": signer["token_label"],
                    "label": signer["cert_label"],
                },
                "items": [{"id": i["id"], "digest": i["digest"]} for i in items],
                "pin": signer["pin"],
            },
            headers=origin,
            timeout=120,
        )
        assert answer.status_code == 200, answer.text
        finished = leader.post(
            "/api/v1/outgoing/sign/finish",
            json={"signatures": answer.json()["signatures"]},
            headers=_fresh(profile),
        )
        assert finished.status_code == 200, finished.text
        assert finished.json()["failed"] == {}
        signed += finished.json()["signed"]
    assert sorted(signed) == ids

    def issue(index: int) -> list[str]:
        clerk = profile.api("vanthu")
        issued = clerk.post(
            "/api/v1/outgoing/issue",
            json={"document_ids": ids[index * 2 : index * 2 + 2]},
            headers=_fresh(profile),
        )
        assert issued.status_code == 200, issued.text
        assert issued.json()["failed"] == {}
        return [i["number_notation"] for i in issued.json()["issued"]]

    notations = [n for batch in _parallel(issue, 2) for n in batch]
    numbers = sorted(int(n.split("/")[0]) for n in notations)
    assert numbers == list(range(numbers[0], numbers[0] + len(ids)))  # no gap, no double

    clerk = profile.api("vanthu")
    directory = clerk.get("/api/v1/directory", params={"per_page": 100}).json()
    target = next(o for o in directory["items"] if o["code"] != "000.00.00.H30")
    sent = clerk.post(
        f"/api/v1/outgoing/{ids[0]}/send",
        json={"organization_ids": [target["id"]]},
        headers=_fresh(profile),
    )
    assert sent.status_code == 200, sent.text
    assert len(sent.json()["dispatches"]) == 1
    for document_id in ids:
        report = clerk.get(f"/api/v1/documents/{document_id}/signatures").json()
        assert report["verdict"] == "ok"


def test_search_finds_what_the_worker_indexed(profile: ProductionProfile) -> None:
    """Written by the web workers, pushed to the index by the outbox drains (worker process)."""
    api = profile.api("vanthu")

    def found() -> int:
        answer = api.get(
            "/api/v1/search", params={"q": "quyết toán kho bạc"}, headers=_fresh(profile)
        )
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    assert _poll("the registered documents searchable", found) >= CLERKS * PER_CLERK


def test_requests_were_answered_by_several_workers(profile: ProductionProfile) -> None:
    served = _served_by(profile)
    assert len(served) > 50
    assert len(set(served.values())) >= 2, "every request went to one gunicorn worker"


# ---- faults --------------------------------------------------------------------------------


def test_storage_down_is_a_clear_503_and_recovers_without_a_restart(
    profile: ProductionProfile,
) -> None:
    assert profile.seaweed is not None
    api = profile.api("vanthu")
    before = api.get("/api/v1/incoming").json()["total"]
    profile.seaweed.stop()
    try:
        refused = _receive(api, profile, blank_pdf("Khi kho tep ngung"), "Gửi khi kho tệp ngừng")
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "storage_unavailable"
        assert "chưa có gì được lưu" in refused.json()["error"]["message"]
        ready = requests.get(f"{profile.url}/healthz/ready", timeout=30)
        assert ready.status_code == 503
        assert "storage" in ready.json()["down"]
        assert requests.get(f"{profile.url}/healthz/live", timeout=10).status_code == 200
        assert api.get("/api/v1/incoming").json()["total"] == before  # nothing half-stored
    finally:
        profile.seaweed.start()
    _poll(
        "ready again",
        lambda: requests.get(f"{profile.url}/healthz/ready", timeout=30).status_code == 200,
    )
    retried = _receive(api, profile, blank_pdf("Gui lai"), "Gửi lại khi kho tệp đã chạy")
    assert retried.status_code == 201, retried.text
    assert api.get("/api/v1/incoming").json()["total"] == before + 1


def test_a_worker_killed_mid_upload_stores_nothing_and_a_retry_succeeds(
    profile: ProductionProfile,
) -> None:
    api = profile.api("vanthu")
    before = api.get("/api/v1/incoming").json()["total"]
    content = blank_pdf("Tai len bi ngat")
    boundary = uuid.uuid4().hex
    head = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in {**INCOMING_FIELDS, "subject": "Tải lên bị ngắt giữa chừng"}.items()
        )
        + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        + "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + content + tail
    workers = profile.web_worker_pids()
    assert len(workers) == 3
    server_port = int(profile.url.rsplit(":", 1)[1])
    idle = _connections_to(server_port)  # the API session's keep-alive ones

    def slow_body() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        # wait until a worker has accepted the upload (one still in the listen queue would be
        # read whole by the next worker), then kill every worker, that one among them
        _poll(
            "a worker reading the upload",
            lambda: _holder(workers, _connections_to(server_port) - idle),
            timeout=30,
        )
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(1)
        yield body[len(body) // 2 :]

    upload = requests.Request(
        "POST",
        f"{profile.url}/api/v1/incoming",
        data=slow_body(),
        headers={
            "Authorization": api.headers["Authorization"],
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(body)),
        },
    ).prepare()
    # requests marks a generator body chunked even with a length; a browser sends a plain body
    del upload.headers["Transfer-Encoding"]
    with pytest.raises(requests.RequestException):
        answer = requests.Session().send(upload, timeout=30)
        if answer.status_code >= 500:
            raise requests.ConnectionError(f"answered {answer.status_code}")
    profile.wait_ready()  # the master has started new workers
    assert not set(workers) & set(profile.web_worker_pids())
    assert api.get("/api/v1/incoming").json()["total"] == before  # nothing half-stored
    retried = _receive(api, profile, content, "Tải lên lại sau khi ngắt")
    assert retried.status_code == 201, retried.text
    assert api.get("/api/v1/incoming").json()["total"] == before + 1


def _connections_to(port: int) -> set[tuple[str, int]]:
    """This process's open connections to the server, by their local address."""
    return {
        (c.laddr.ip, c.laddr.port)
        for c in psutil.Process().net_connections("tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    }


def _holder(workers: list[int], ours: set[tuple[str, int]]) -> int | None:
    """The worker that accepted one of ``ours``."""
    for pid in workers:
        with contextlib.suppress(psutil.NoSuchProcess):
            for c in psutil.Process(pid).net_connections("tcp"):
                if c.raddr and (c.raddr.ip, c.raddr.port) in ours:
                    return pid
    return None


def _browser(profile: ProductionProfile, username: str) -> requests.Session:
    """A browser-like session signed in through the login form."""
    browser = requests.Session()
    page = browser.get(f"{profile.url}/login", headers=_fresh(profile))
    answer = browser.post(
        f"{profile.url}/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": _csrf(page.text)},
        headers=_fresh(profile),
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:300]
    return browser


def _start_export(
    profile: ProductionProfile,
    archivist: requests.Session,
    token: str,
    dossier_id: int,
    headers: dict[str, str] | None = None,
) -> str:
    """The archivist asks for the dossier's package from its page; the job's id."""
    started = archivist.post(
        f"{profile.url}/dossiers/export",
        data={"dossier_ids": [dossier_id], "csrf_token": token},
        headers=headers or _fresh(profile),
        allow_redirects=False,
    )
    assert started.status_code == 302, started.text[:500]
    return started.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def test_an_export_met_by_a_storage_outage_is_retried_by_the_worker_and_delivered(
    profile: ProductionProfile,
) -> None:
    """The archivist files documents into a dossier, closes it and exports it while S3 is down:
    the worker's attempt fails (counted), the job says it will retry, and once S3 is back the
    next attempt delivers the package, whose progress and file any web worker serves."""
    assert profile.seaweed is not None
    archivist = _browser(profile, "luutru")
    page = archivist.get(f"{profile.url}/dossiers/", headers=_fresh(profile))
    year = int(re.search(r'name="year"[^>]*value="(\d{4})"', page.text).group(1))  # type: ignore[union-attr]
    created = archivist.post(
        f"{profile.url}/dossiers/?year={year}",
        data={
            "code": "HS-SX-01",
            "title": "Hồ sơ chạy thử sản xuất",
            "csrf_token": _csrf(page.text),
        },
        headers=_fresh(profile),
        allow_redirects=False,
    )
    assert created.status_code == 302, created.text[:500]
    listing = archivist.get(f"{profile.url}/dossiers/?year={year}", headers=_fresh(profile)).text
    dossier_ids = set(re.findall(r'href="/dossiers/(\d+)"', listing))
    assert len(dossier_ids) == 1, dossier_ids
    dossier_id = int(dossier_ids.pop())
    clerk = profile.api("vanthu")
    documents = [
        d["id"] for d in clerk.get("/api/v1/incoming", params={"status": "routed"}).json()["items"]
    ]
    token = _csrf(archivist.get(f"{profile.url}/dossiers/{dossier_id}").text)
    filed = archivist.post(
        f"{profile.url}/dossiers/{dossier_id}/documents",
        data={"document_ids": documents, "csrf_token": token},
        headers=_fresh(profile),
        allow_redirects=False,
    )
    assert filed.status_code == 302
    closed = archivist.post(
        f"{profile.url}/dossiers/{dossier_id}/close",
        data={"confirm": "1", "csrf_token": token},
        headers=_fresh(profile),
        allow_redirects=False,
    )
    assert closed.status_code == 302
    api = profile.api("luutru")
    assert api.get(f"/api/v1/dossiers/{dossier_id}").json()["status"] == "closed"

    profile.seaweed.stop()
    try:
        headers = _fresh(profile)
        job_id = _start_export(profile, archivist, token, dossier_id, headers)
        job = _poll(
            "the export's first attempt failing for now",
            lambda: "thử lại" in (j := api.get(f"/api/v1/jobs/{job_id}").json())["message"] and j,
            timeout=60,
        )
        assert job["status"] == "queued", job
        assert "thử lại" in job["message"]
    finally:
        profile.seaweed.start()
    done = _poll(
        "the export delivered",
        lambda: (
            (j := api.get(f"/api/v1/jobs/{job_id}").json())["status"] in {"done", "failed"} and j
        ),
        timeout=120,
    )
    assert done["status"] == "done", done
    package = api.get(f"/api/v1/jobs/{job_id}/download", headers=_fresh(profile))
    assert package.status_code == 200
    assert package.content[:2] == b"PK"
    EXPORTED["dossier_id"] = dossier_id
    # the worker's lines about the task carry the id of the web request that queued it
    worker_lines = [
        json.loads(line)
        for line in (profile.log_dir / "worker.1.log").read_text(encoding="utf-8").splitlines()
        if line.startswith("{")
    ]
    carried = [e for e in worker_lines if e["request_id"] == headers["X-Request-ID"]]
    assert any(e["message"] == "task export_task started" for e in carried)
    assert {e["pid"] for e in carried} == {profile.processes["worker"].pid}


EXPORTED: dict[str, int] = {}  # the dossier the export test closed, for the next test


def test_a_job_the_queue_lost_is_queued_again_from_the_database(
    profile: ProductionProfile,
) -> None:
    """The worker is down, an export is queued, Redis loses its data (FLUSHDB: a restart without
    persistence); the job row remains, and the worker queues it again when it comes back."""
    dossier_id = EXPORTED["dossier_id"]
    worker = profile.processes.pop("worker")
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(30)
    archivist = _browser(profile, "luutru")
    token = _csrf(archivist.get(f"{profile.url}/dossiers/{dossier_id}").text)
    job_id = _start_export(profile, archivist, token, dossier_id)
    queue = redis.Redis.from_url(profile.queue_url)
    assert queue.dbsize() > 0
    queue.flushdb()
    api = profile.api("luutru")
    assert api.get(f"/api/v1/jobs/{job_id}").json()["status"] == "queued"
    profile.spawn_worker()
    done = _poll(
        "the lost export run",
        lambda: (
            (j := api.get(f"/api/v1/jobs/{job_id}").json())["status"] in {"done", "failed"} and j
        ),
        timeout=120,
    )
    assert done["status"] == "done", done
    assert api.get(f"/api/v1/jobs/{job_id}/download").content[:2] == b"PK"
    assert "queued again" in (profile.log_dir / "worker.1.log").read_text(encoding="utf-8")


def test_a_worker_killed_mid_export_is_replaced_and_the_export_finishes_once(
    profile: ProductionProfile,
) -> None:
    """The worker is killed (SIGKILL) while it writes an export package: S3 is frozen (SIGSTOP)
    so the worker is caught mid-read, with the job running under its lease. Once the lease has
    run out a new worker queues the job again at its start; the package is built again from
    the start and put in place once, and the killed run's half-built files are gone."""
    assert profile.seaweed is not None and profile.seaweed.process is not None
    dossier_id = EXPORTED["dossier_id"]
    old = profile.processes.pop("worker")
    os.killpg(old.pid, signal.SIGTERM)
    old.wait(30)
    usual = profile.extra_env
    profile.extra_env = {**usual, "EDOC_JOB_LEASE_SECONDS": "5"}  # the worker to be killed
    try:
        profile.spawn_worker()
    finally:
        profile.extra_env = usual
    doomed = profile.processes["worker"]
    archivist = _browser(profile, "luutru")
    token = _csrf(archivist.get(f"{profile.url}/dossiers/{dossier_id}").text)
    api = profile.api("luutru")
    weed = profile.seaweed.process.pid
    os.kill(weed, signal.SIGSTOP)  # every read of a file now waits (60 s before a time-out)
    try:
        job_id = _start_export(profile, archivist, token, dossier_id)
        running = _poll(
            "the export running",
            lambda: (j := api.get(f"/api/v1/jobs/{job_id}").json())["status"] == "running" and j,
            timeout=60,
        )
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
        profile.processes.pop("worker")
    finally:
        os.kill(weed, signal.SIGCONT)
    assert running["status"] == "running"

    table = f'"{profile.schema}".jobs'
    with psycopg.connect(profile.postgres_url, autocommit=True) as connection:

        def row() -> tuple[Any, ...]:
            found = connection.execute(
                f"SELECT status, claimed_by, claimed_until, attempts, finished_at FROM {table}"
                " WHERE id = %s",
                (job_id,),
            ).fetchone()
            assert found is not None
            return tuple(found)

        status, holder, until, attempts, _finished = row()
        assert (status, attempts) == ("running", 0) and holder is not None
        _poll(  # the killed worker's lease runs out: until then nobody may take the job
            "the lease running out",
            lambda: datetime.now(UTC).replace(tzinfo=None) > until,
            timeout=30,
        )
        profile.spawn_worker()  # at its start it finds the job and queues it again
        done = _poll(
            "the export finished by the new worker",
            lambda: (
                (j := api.get(f"/api/v1/jobs/{job_id}").json())["status"] in {"done", "failed"}
                and j
            ),
            timeout=180,
        )
        assert done["status"] == "done", done
        status, holder, _until, attempts, finished = row()
        assert (status, holder, attempts) == ("done", None, 1) and finished is not None

    exports = profile.data_dir / "exports"
    assert sorted(p.name for p in exports.iterdir() if p.name.startswith(job_id)) == [
        f"{job_id}.zip"
    ]
    package = api.get(f"/api/v1/jobs/{job_id}/download")
    assert package.status_code == 200
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert len(names) == len(set(names))
        folders = {n.rsplit("/tep/", 1)[0] for n in names if "/tep/" in n}
        listing = archive.read("goi-luu-tru/data/muc-luc.csv").decode("utf-8")
    header, entry = csv.reader(io.StringIO(listing))  # one dossier
    assert header[4] == "Số văn bản" and int(entry[4]) == len(folders) > 0  # each document once
    log = "".join(p.read_text(encoding="utf-8") for p in profile.log_dir.glob("worker.*.log"))
    assert f"job {job_id}: its worker stopped mid-run (lease ran out): queued again" in log


# ---- indexing interrupted --------------------------------------------------------------------

INDEXED_ONCE: dict[str, Any] = {}  # the documents the killed drain held, for the reindex test


def _found(profile: ProductionProfile, api: ApiSession, words: str) -> list[int]:
    """Ids of every document the index finds for ``words`` (one page holds them all)."""
    answer = api.get(
        "/api/v1/search", params={"q": words, "per_page": 100}, headers=_fresh(profile)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["degraded"] is False  # the engine answered, not the database scan
    return sorted(r["id"] for r in answer.json()["results"])


def _outbox(connection: psycopg.Connection[Any], schema: str) -> tuple[int, int]:
    """Search outbox rows waiting, and those a drain holds."""
    found = connection.execute(
        f'SELECT count(*), count(claimed_by) FROM "{schema}".outbox WHERE topic = %s',
        ("search",),
    ).fetchone()
    assert found is not None
    return int(found[0]), int(found[1])


def test_a_worker_killed_mid_index_is_replaced_and_every_document_is_found_once(
    profile: ProductionProfile,
) -> None:
    """The worker is killed (SIGKILL) while it pushes a batch of documents to the index: the
    index's table is locked (SHARE: searches read on, writes wait), so its drains are caught
    after their claim, mid-push. Its claims hold until their lease runs out; then a new worker
    indexes every document once (with the text of its PDF, whose reading the killed drain
    never scheduled), and the outbox ends empty with nothing claimed."""
    old = profile.processes.pop("worker")
    os.killpg(old.pid, signal.SIGTERM)
    old.wait(30)
    usual = profile.extra_env
    profile.extra_env = {**usual, "EDOC_OUTBOX_LEASE_SECONDS": "5"}  # the worker to be killed
    try:
        profile.spawn_worker()
    finally:
        profile.extra_env = usual
    doomed = profile.processes["worker"]
    api = profile.api("vanthu")
    tag = uuid.uuid4().hex[:8]
    subject_word, body_word = f"chimuc{tag}", f"noidung{tag}"
    outbox = f'"{profile.schema}".outbox'
    with (
        psycopg.connect(profile.postgres_url, autocommit=True) as watcher,
        psycopg.connect(profile.postgres_url) as locker,
    ):
        locker.execute(f'LOCK TABLE "{profile.schema}".search_docs IN SHARE MODE')
        try:
            ids = []
            for n in range(8):
                answer = _receive(
                    api,
                    profile,
                    blank_pdf(f"Trich yeu {body_word} so {n}"),
                    f"Công văn {subject_word} số {n}",
                )
                assert answer.status_code == 201, answer.text
                ids.append(int(answer.json()["id"]))

            def pushing() -> list[int]:
                """Our documents claimed by a drain whose write waits for the lock."""
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM search_docs%%'"
                ).fetchone()
                claimed = watcher.execute(
                    f"SELECT DISTINCT document_id FROM {outbox} WHERE topic = 'search'"
                    " AND claimed_by IS NOT NULL AND document_id = ANY(%s)",
                    (ids,),
                ).fetchall()
                return sorted(r[0] for r in claimed) if waiting and waiting[0] else []

            held = _poll("the worker pushing a batch", pushing, timeout=60)
            os.killpg(doomed.pid, signal.SIGKILL)
            doomed.wait(10)
            profile.processes.pop("worker")
        finally:
            locker.rollback()  # the killed drain's connection ends without committing

        assert held and set(held) <= set(ids)
        assert _found(profile, api, subject_word) == []  # nothing of the batch reached the index
        until = watcher.execute(
            f"SELECT max(claimed_until) FROM {outbox} WHERE document_id = ANY(%s)", (held,)
        ).fetchone()
        assert until is not None and until[0] is not None  # still held by the dead worker
        _poll(  # the killed worker's lease runs out: until then nobody may take its rows
            "the lease running out",
            lambda: datetime.now(UTC).replace(tzinfo=None) > until[0],
            timeout=30,
        )
        profile.spawn_worker()
        assert _poll(
            "every document indexed",
            lambda: _found(profile, api, subject_word) == sorted(ids),
            timeout=180,
        )
        assert _poll(  # its PDF's text too: the new drain scheduled the reading
            "every document's text indexed",
            lambda: _found(profile, api, body_word) == sorted(ids),
            timeout=180,
        )
        answer = api.get("/api/v1/search", params={"q": subject_word}, headers=_fresh(profile))
        assert answer.json()["total"] == len(ids)
        _poll("the outbox empty", lambda: _outbox(watcher, profile.schema) == (0, 0), timeout=120)
    INDEXED_ONCE.update(ids=sorted(ids), subject=subject_word, body=body_word)


def test_a_reindex_killed_midway_leaves_the_outbox_and_a_second_run_rebuilds_everything(
    profile: ProductionProfile,
) -> None:
    """``edoc reindex`` is killed (SIGKILL) once it has emptied the index and waits on S3
    (frozen by SIGSTOP) for the text of a PDF not read yet; the index is then incomplete. Run
    again, it rebuilds the whole index: every document once, the unread PDF's text read."""
    assert profile.seaweed is not None and profile.seaweed.process is not None
    worker = profile.processes.pop("worker")  # only the reindex writes to the index meanwhile
    os.killpg(worker.pid, signal.SIGTERM)
    worker.wait(30)
    try:
        api = profile.api("vanthu")
        tag = uuid.uuid4().hex[:8]
        body_word = f"docbody{tag}"
        unread = _receive(  # no worker: its text is not read, so the reindex reads it from S3
            api, profile, blank_pdf(f"Trich yeu {body_word}"), f"Công văn chờ đọc chữ {tag}"
        )
        assert unread.status_code == 201, unread.text
        unread_id = int(unread.json()["id"])
        _reindex_killed_then_run_again(profile, unread_id)
        assert _found(profile, api, body_word) == [unread_id]  # its text, read by the reindex
        assert _found(profile, api, INDEXED_ONCE["subject"]) == INDEXED_ONCE["ids"]
        assert _found(profile, api, INDEXED_ONCE["body"]) == INDEXED_ONCE["ids"]
    finally:
        profile.spawn_worker()


def _reindex_killed_then_run_again(profile: ProductionProfile, unread_id: int) -> None:
    assert profile.seaweed is not None and profile.seaweed.process is not None
    docs = f'"{profile.schema}".search_docs'
    with psycopg.connect(profile.postgres_url, autocommit=True) as watcher:

        def indexed() -> set[int]:
            rows = watcher.execute(f"SELECT doc_id FROM {docs}").fetchall()
            return {int(r[0]) for r in rows}

        def emptied() -> bool:
            try:
                return len(indexed()) < len(before)
            except psycopg.Error:  # the table was dropped and made again while we read it
                return False

        before = indexed()
        assert unread_id not in before and set(INDEXED_ONCE["ids"]) <= before
        weed = profile.seaweed.process.pid
        os.kill(weed, signal.SIGSTOP)  # every read of a file now waits (60 s before a time-out)
        try:
            reindex = spawn_logged(
                [sys.executable, "-m", "edoc.cli", "reindex"],
                env=profile.env,
                cwd=profile.data_dir,
                log=profile.log_dir / "reindex.killed.log",
            )
            _poll("the reindex emptying the index", emptied, timeout=60)
            os.killpg(reindex.pid, signal.SIGKILL)
            reindex.wait(10)
        finally:
            os.kill(weed, signal.SIGCONT)
        assert reindex.returncode == -signal.SIGKILL
        assert len(indexed()) < len(before)  # the kill left the index incomplete
        assert _outbox(watcher, profile.schema)[0] >= 1  # the new document's row is kept

        done = profile.cli("reindex")
        assert "văn bản đã được lập chỉ mục" in done.stdout
        assert indexed() == before | {unread_id}
        assert _outbox(watcher, profile.schema) == (0, 0)  # the rebuild covered every row


# ---- metrics -------------------------------------------------------------------------------


def _samples(text: str) -> dict[str, float]:
    """``name{labels}`` -> value, for every sample line."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


def _total(samples: dict[str, float], name: str, **labels: str) -> float:
    wanted = [f'{k}="{v}"' for k, v in labels.items()]
    return sum(
        value
        for key, value in samples.items()
        if (key == name or key.startswith(name + "{")) and all(w in key for w in wanted)
    )


def test_metrics_count_every_family_over_all_processes(profile: ProductionProfile) -> None:
    def scrape() -> dict[str, float]:
        answer = requests.get(f"{profile.url}/metrics", timeout=30)
        assert answer.status_code == 200
        return _samples(answer.text)

    # the worker process fails to deliver the webhook; its counter is summed in with the web's
    samples = _poll(
        "a failed webhook delivery counted",
        lambda: (
            (s := scrape()) and _total(s, "edoc_delivery_failures_total", channel="webhook") and s
        ),
    )
    assert _total(samples, "edoc_http_requests_total") > 100
    route = "/api/v1/incoming"
    assert _total(samples, "edoc_http_request_duration_seconds_count", endpoint=route) > 0
    assert _total(samples, "edoc_http_requests_total", endpoint="/api/v1/outgoing/sign/finish") > 0
    assert not any("journey-" in key or "/api/v1/documents/1/" in key for key in samples)
    assert _total(samples, "edoc_jobs_run_total") > 0  # tasks run by edoc worker
    assert _total(samples, "edoc_signature_validation_failures_total", reason="invalid") >= 1
    assert _total(samples, "edoc_storage_errors_total", code="storage_unavailable") >= 1
    # gauges read at the scrape from the queue and the database (by whichever worker answers)
    text = requests.get(f"{profile.url}/metrics", timeout=30).text
    assert "edoc_queue_depth" in samples
    assert "# TYPE edoc_outbox_backlog gauge" in text
    assert _total(samples, "edoc_jobs", status="done") >= 2  # the two exports
    assert _total(samples, "edoc_job_failures_total", task="export_task") >= 1
