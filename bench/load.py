"""Load: simulated office staff against a running edoc, for a bounded time.

    .venv/bin/python bench/load.py                       # a fresh demo, `edoc serve` started here
    .venv/bin/python bench/load.py --data-dir /tmp/demo  # reuse a demo already loaded there
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 [--url http://… ]

Fifty users by default, each a browser session signed in through the login form: clerks
register incoming letters with real PDFs (the multipart form with its CSRF token), specialists
search and read documents and their files, leaders open the signing page and the drafts,
archivists start archive exports. Each user waits a short random "think time" between actions.
Nothing is followed automatically: a redirect is an answer (302 after a form is success).

Reported per target: errors (must be 0), p50/p95 per action, requests per second, and the CPU
and peak memory of every process of the server (psutil over the process tree listening on the
port). With several ``--url`` the later targets are given as ratios to the first, measured in
the same run (the single process first, then the production profile).

The server must allow 50 sign-ins a minute from one address (``EDOC_RATELIMIT_LOGIN``); the
server this script starts does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fixtures.pdfs import text_pdf  # noqa: E402  (real PDFs with a text layer)
from tests.fixtures.production import ProductionProfile  # noqa: E402

FIELD_ERROR_RE = re.compile(
    r'<(?:small class="field-error"|p class="flash flash-error"[^>]*)>([^<]+)<'
)
CSRF_RE = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
#: Search words found in the demo's letters (subjects of storms, budgets, schools, roads…).
QUERIES = ("bão", "ngân sách", "kế hoạch", "báo cáo", "trường học", "đường", "dự toán", "UBND")
#: Who the 50 users are: (role, share of the users, demo account).
MIX = (
    ("clerk", 0.3, "vanthu"),
    ("specialist", 0.4, "chuyenvien"),
    ("leader", 0.2, "lanhdao"),
    ("archivist", 0.1, "luutru"),
)


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)  # the first few errors, to read
    requests: int = 0


class User:
    """One person's browser: a cookie jar, the CSRF token of the last page, what they saw."""

    def __init__(self, base: str, role: str, username: str, results: Results, rng: random.Random):
        self.client = httpx.AsyncClient(base_url=base, timeout=120, follow_redirects=False)
        self.role, self.username, self.results, self.rng = role, username, results, rng
        self.csrf = ""
        self.document_ids: list[int] = []

    async def call(
        self, action: str, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs: object
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await self.client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as error:
            self._error(action, f"{method} {path}: {type(error).__name__} {error}")
            return None
        self.results.requests += 1
        self.results.latencies[action].append(time.perf_counter() - started)
        if response.status_code not in ok:
            said = FIELD_ERROR_RE.findall(response.text)[:3] if response.status_code < 500 else []
            self._error(action, f"{method} {path}: HTTP {response.status_code} {said or ''}")
            return None
        if found := CSRF_RE.search(
            response.text if "html" in response.headers.get("content-type", "") else ""
        ):
            self.csrf = found.group(1)
        return response

    def _error(self, action: str, text: str) -> None:
        self.results.errors[action] += 1
        if len(self.results.samples) < 10:
            self.results.samples.append(f"{self.username}/{action}: {text}")

    async def login(self, password: str) -> bool:
        if await self.call("login", "GET", "/login") is None:
            return False
        form = {"username": self.username, "password": password, "csrf_token": self.csrf}
        return await self.call("login", "POST", "/login", ok=(302,), data=form) is not None

    # -- what each role does ------------------------------------------------------------

    async def clerk(self) -> None:
        if await self.call("register_form", "GET", "/incoming/new") is None:
            return
        serial = self.rng.randrange(10**9)
        pdf = text_pdf(f"Công văn số {serial}/STC-NS của Sở Tài chính về dự toán ngân sách.")
        form = {
            "csrf_token": self.csrf,
            "received_via": "paper",
            "sender_org": "Sở Tài chính tỉnh Demo",
            "number_notation": f"{serial}/STC-NS",
            "doc_type": "CV",
            "subject": f"V/v dự toán ngân sách (tải thử {serial})",
            "issued_date": "20/11/2026",  # as typed in the form: dd/mm/yyyy
        }
        files = {"file": (f"cv-{serial}.pdf", pdf, "application/pdf")}
        await self.call("register", "POST", "/incoming/new", ok=(302,), data=form, files=files)

    async def specialist(self) -> None:
        query = self.rng.choice(QUERIES)
        page = await self.call("search", "GET", "/search/", params={"q": query})
        if page is not None:
            found = [
                int(n) for n in re.findall(r'/(?:incoming|outgoing|search/open)/(\d+)"', page.text)
            ]
            self.document_ids = found[:10] or self.document_ids
        if not self.document_ids:
            return
        document_id = self.rng.choice(self.document_ids)
        opened = await self.call("read", "GET", f"/search/open/{document_id}", ok=(302,))
        if opened is None:
            return
        location = httpx.URL(opened.headers["location"]).path
        await self.call("read", "GET", location)
        if location.startswith("/incoming/"):
            await self.call("read_file", "GET", f"{location.rstrip('/')}/file", ok=(200,))

    async def leader(self) -> None:
        await self.call("sign_page", "GET", "/outgoing/sign")
        await self.call("drafts", "GET", "/outgoing/")

    async def archivist(self) -> None:
        page = await self.call("dossiers", "GET", "/dossiers/")
        if page is None:
            return
        closed = re.findall(r'name="dossier_ids" value="(\d+)"', page.text)
        if not closed or self.rng.random() > 0.3:  # exports are rare: mostly they look
            return
        form = {"csrf_token": self.csrf, "dossier_ids": self.rng.choice(closed)}
        started = await self.call("export_start", "POST", "/dossiers/export", ok=(302,), data=form)
        if started is not None and "/jobs/" in started.headers.get("location", ""):
            await self.call("export_status", "GET", httpx.URL(started.headers["location"]).path)


async def run_user(user: User, password: str, deadline: float, think: float, ramp: float) -> None:
    try:
        await asyncio.sleep(user.rng.uniform(0, ramp))  # people arrive over the first minutes
        if not await user.login(password):
            return
        action: Callable[[], Awaitable[None]] = getattr(user, user.role)
        while time.monotonic() < deadline:
            await action()
            await asyncio.sleep(user.rng.uniform(0.5 * think, 1.5 * think))
    finally:
        await user.client.aclose()


class ProcessWatch:
    """CPU seconds and peak resident memory of every process of the server, sampled each second."""

    def __init__(self, root: psutil.Process, beside: list[int] | None = None) -> None:
        self.root = root
        self.beside = [psutil.Process(pid) for pid in beside or []]
        self.peak_rss: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.cpu_start: dict[int, float] = {}
        self.cpu_end: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _processes(self) -> list[psutil.Process]:
        processes: list[psutil.Process] = []
        for top in (self.root, *self.beside):
            try:
                processes += [top, *top.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
        return processes

    def _sample(self) -> None:
        for process in self._processes():
            try:
                with process.oneshot():
                    times, rss = process.cpu_times(), process.memory_info().rss
                    if process.pid not in self.names:
                        self.names[process.pid] = " ".join(process.cmdline()[1:4])[:60]
                        self.cpu_start[process.pid] = times.user + times.system
            except psutil.Error:
                continue
            self.cpu_end[process.pid] = times.user + times.system
            self.peak_rss[process.pid] = max(self.peak_rss.get(process.pid, 0), rss)

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            self._sample()

    def __enter__(self) -> ProcessWatch:
        self._sample()
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.elapsed = time.monotonic() - self.started

    def rows(self) -> list[tuple[int, str, float, float]]:
        """(processes, command, mean CPU % of one core, peak RSS MB of one) per command: the
        gunicorn workers together, the file-checking pool's children together."""
        grouped: dict[str, list[int]] = defaultdict(list)
        for pid in sorted(self.names):
            grouped[self.names[pid]].append(pid)
        return [
            (
                len(pids),
                command,
                sum(100 * (self.cpu_end[p] - self.cpu_start[p]) / self.elapsed for p in pids),
                max(self.peak_rss[p] for p in pids) / 2**20,
            )
            for command, pids in grouped.items()
        ]


def server_root(url: str, pid: int | None) -> psutil.Process | None:
    """The process tree serving ``url``: the listener on its port, climbing to its master."""
    if pid:
        return psutil.Process(pid)
    port = httpx.URL(url).port or 80
    listeners = [
        c.pid
        for c in psutil.net_connections("tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.pid
    ]
    if not listeners:
        return None
    process = psutil.Process(listeners[0])
    while (parent := process.parent()) is not None and any(
        word in " ".join(parent.cmdline()) for word in ("gunicorn", "edoc")
    ):
        process = parent
    return process


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Summary:
    url: str
    results: Results
    seconds: float
    processes: list[tuple[int, str, float, float]]

    @property
    def errors(self) -> int:
        return sum(self.results.errors.values())

    def p95(self, action: str) -> float:
        return percentile(self.results.latencies[action], 0.95)


async def load(url: str, args: argparse.Namespace) -> Results:
    """Every user's session until the deadline (``--seconds`` after the first arrives)."""
    results = Results()
    rng = random.Random(args.seed)
    roles = [(role, username) for role, share, username in MIX for _ in range(round(100 * share))]
    people = [
        User(url, *roles[(i * len(roles)) // args.users], results, random.Random(rng.random()))
        for i in range(args.users)
    ]
    deadline = time.monotonic() + args.seconds
    await asyncio.gather(
        *(run_user(p, args.password, deadline, args.think, args.ramp) for p in people)
    )
    return results


def measure(
    url: str, args: argparse.Namespace, pid: int | None = None, beside: list[int] | None = None
) -> Summary:
    root = server_root(url, pid)
    watch = ProcessWatch(root, beside) if root is not None else None
    started = time.monotonic()
    if watch is not None:
        with watch:
            results = asyncio.run(load(url, args))
    else:
        results = asyncio.run(load(url, args))
    elapsed = time.monotonic() - started
    return Summary(url, results, elapsed, watch.rows() if watch is not None else [])


def report(summary: Summary, baseline: Summary | None) -> None:
    results = summary.results
    print(
        f"\n== {summary.url}: {results.requests} requests in {summary.seconds:.0f} s, "
        f"{results.requests / summary.seconds:.1f} requests/s, errors: {summary.errors}"
    )
    print(
        f"{'action':<16}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}"
        + (f"{'p95 ratio':>11}" if baseline else "")
    )
    for action in sorted(results.latencies):
        values = results.latencies[action]
        line = (
            f"{action:<16}{len(values):>7}{1000 * statistics.median(values):>9.0f}"
            f"{1000 * percentile(values, 0.95):>9.0f}{results.errors.get(action, 0):>8}"
        )
        if baseline and baseline.results.latencies.get(action):
            line += f"{summary.p95(action) / baseline.p95(action):>11.2f}"
        print(line)
    if baseline:
        ratio = (results.requests / summary.seconds) / (
            baseline.results.requests / baseline.seconds
        )
        print(f"requests/s ratio against {baseline.url}: {ratio:.2f}")
    for count, command, cpu, rss in summary.processes:
        print(f"  {count:>2} × {command:<60} CPU {cpu:5.1f} %  peak RSS {rss:6.1f} MB each")
    for sample in results.samples:
        print(f"  error: {sample}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def single_process(
    data_dir: Path | None, documents: int, log: Path, database_url: str | None
) -> Iterator[tuple[str, int]]:
    """``edoc serve`` (Werkzeug, threaded, its worker beside it) on a demo agency."""
    work = Path(tempfile.mkdtemp(prefix="edoc-load-"))
    if data_dir is not None:
        shutil.copytree(data_dir, work / "var")
    port = free_port()
    environment = {
        **os.environ,
        "EDOC_DATA_DIR": str(work / "var"),
        "EDOC_RATELIMIT_LOGIN": "100000 per minute",
        "EDOC_RATELIMIT_TOKEN": "100000 per minute",
    }
    environment.pop("EDOC_DATABASE_URL", None)
    if database_url:  # a database already holding the demo that --data-dir's blobs belong to
        environment["EDOC_DATABASE_URL"] = database_url
    edoc = [sys.executable, "-m", "edoc.cli"]
    if data_dir is None:
        print(f"loading the demo ({documents} documents) into {work} …", flush=True)
        subprocess.run(
            [*edoc, "db", "upgrade"],
            env=environment,
            cwd=REPO,
            check=True,
            capture_output=True,
            timeout=600,
        )
        subprocess.run(
            [*edoc, "demo", "--documents", str(documents), "--no-keys"],
            env=environment,
            cwd=REPO,
            check=True,
            capture_output=True,
            timeout=3600,
        )
    log_file = log.open("wb")
    server = subprocess.Popen(
        [*edoc, "serve", "--no-signer", "--port", str(port)],
        env=environment,
        cwd=REPO,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("edoc serve did not answer within 2 minutes")
        yield url, server.pid
    finally:
        server.terminate()  # edoc serve stops its worker on SIGTERM
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for child in psutil.Process(server.pid).children(recursive=True):
                child.kill()
            server.kill()
            server.wait()
        log_file.close()
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def production_profile(
    documents: int, workers: int, threads: int
) -> Iterator[tuple[str, int, list[int]]]:
    """The production profile (gunicorn, `edoc worker` on Redis, PostgreSQL, SeaweedFS), as
    ``scripts/prod-local`` starts it, on a demo of the same size; yields the URL, gunicorn's
    master and the worker's process (not a child of gunicorn: measured beside it)."""
    root = Path(tempfile.mkdtemp(prefix="edoc-load-prod-"))
    profile = ProductionProfile(
        root,
        web_workers=workers,
        web_threads=threads,
        extra_env={
            "EDOC_RATELIMIT_LOGIN": "100000 per minute",
            "EDOC_RATELIMIT_TOKEN": "100000 per minute",
        },
    )
    try:
        print(f"production profile: loading the demo ({documents} documents) …", flush=True)
        profile.setup("--documents", str(documents), "--no-keys")
        profile.start()
        yield profile.url, profile.processes["web"].pid, [profile.processes["worker"].pid]
    finally:
        profile.teardown()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", action="append", default=[], help="a running edoc (repeatable)")
    parser.add_argument("--pid", type=int, help="the server's master process (else: found)")
    parser.add_argument("--data-dir", type=Path, help="a loaded demo to copy and serve")
    parser.add_argument(
        "--database-url", help="with --data-dir: the server's database (default: its SQLite)"
    )
    parser.add_argument("--documents", type=int, default=20, help="demo size when loading one")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--ramp", type=float, default=30, help="users arrive over this many s")
    parser.add_argument("--think", type=float, default=2.0, help="mean pause between actions (s)")
    parser.add_argument("--password", default=os.environ.get("EDOC_DEMO_PASSWORD", "edoc-demo"))
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument(
        "--server-log",
        type=Path,
        default=Path(tempfile.gettempdir()) / "edoc-load-server.log",
        help="where the server this script starts writes its log",
    )
    parser.add_argument(
        "--production",
        action="store_true",
        help="after the single process, start the production profile and measure it too",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (--production)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (--production)")
    args = parser.parse_args()

    summaries: list[Summary] = []
    if not args.url or args.production:
        with single_process(args.data_dir, args.documents, args.server_log, args.database_url) as (
            url,
            pid,
        ):
            summaries.append(measure(url, args, pid))
    if args.production:
        with production_profile(args.documents, args.workers, args.threads) as (url, pid, extra):
            summaries.append(measure(url, args, pid, extra))
    for url in args.url:
        summaries.append(measure(url, args, args.pid))
    for summary in summaries:
        report(summary, summaries[0] if summary is not summaries[0] else None)
    sys.exit(1 if any(summary.errors for summary in summaries) else 0)


if __name__ == "__main__":
    main()
