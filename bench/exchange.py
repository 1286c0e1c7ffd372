"""Exchange benchmark: edXML packages district → provincial hub → department, against copying the
same bytes with a bare HTTP POST loop, in the same run.

Baseline: ``--docs`` bodies of ``--mb`` MB POSTed one after the other with ``requests`` to a
minimal receiver in another process that writes each body to a file and fsyncs it before
answering (one hop, nothing checked: the floor of "a file crossed the wire and is on disk").

edoc: three installations started as separate processes (tests/fixtures/installations.py: own
data dir, SQLite database, blob store, port, organ code, PKI). The district issues ``--docs``
signed documents of about ``--mb`` MB (not timed), then sends them all to the department, which
the district knows only through the hub. Timed from the first send to the last status "01 Đã
đến" back at the district: end-to-end time, packages/s through the hub (from the hub's own
records: forwarded document packages over the span from the first one taken in to the last one
delivered), p95 delay from send to "arrived", and the hub's RSS (sampled sum of its processes and
their children, from /proc): its peak, and its value when a quarter, half, three quarters and all
of the documents had arrived, to show it does not grow with N.

Only ``--distinct`` documents are issued the real way (5–15 s each on the 2-core machine); the
others are copies of their records made in the district's database by
``bench/exchange_copies.py`` (see there why, and what that changes: nothing on the measured path).

    nice -n 10 .venv/bin/python bench/exchange.py [--docs 1000] [--mb 1] [--distinct 10]
    .venv/bin/python bench/exchange.py --only-baseline             # until exchange has landed
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import MB
from tests.fixtures.installations import (
    DEPARTMENT,
    DISTRICT,
    HUB,
    Installation,
    Installations,
    free_port,
    mutual_trust,
)
from tests.fixtures.processes import run_python
from tests.fixtures.remote_documents import Issued, draft_of_size, issued_documents

ARRIVED = "01"
POLL_SECONDS = 0.5
COPIES = "bench.exchange_copies"  # as a module: bench/signing.py must not shadow ``signing``


@dataclass
class Run:
    label: str
    seconds: float
    count: int
    delays: list[float]  # per file or package, seconds
    peak_rss_mb: float | None = None
    rss_at: dict[str, float] = field(default_factory=dict)  # "N/4" … → hub RSS, MB
    hub_rate: float | None = None  # packages/s through the hub, from its records
    at_department: list[float] = field(default_factory=list)  # send → taken in there, s

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @property
    def p95(self) -> float:
        return percentile(self.delays, 95)

    def show(self) -> None:
        rss = f", hub peak RSS {self.peak_rss_mb:.0f} MB" if self.peak_rss_mb is not None else ""
        print(
            f"  {self.label:<34} {self.seconds:8.1f} s  {self.per_second:7.1f} /s  "
            f"p95 {self.p95 * 1000:8.1f} ms{rss}"
        )
        if self.at_department:
            p95 = percentile(self.at_department, 95)
            print(f"    p95 send → taken in at the department (its 01's time): {p95:.1f} s")
        if self.hub_rate is not None:
            print(f"    through the hub (its records): {self.hub_rate:.2f} packages/s")
        if self.rss_at:
            steps = ", ".join(f"{k} {v:.0f} MB" for k, v in self.rss_at.items())
            print(f"    hub RSS when this many had arrived: {steps}")


def percentile(values: Sequence[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def body(index: int, size: int) -> bytes:
    """Distinct content per file, made in microseconds (the bytes' randomness is irrelevant to a
    copy; the sizes are what count)."""
    block = hashlib.sha512(f"exchange-{index}".encode()).digest()
    return (block * (size // len(block) + 1))[:size]


# ---- baseline ---------------------------------------------------------------------------------


def serve_receiver(directory: Path, port: int) -> None:
    """The baseline's receiver (run in its own process): each POST body to a file, fsynced."""
    directory.mkdir(parents=True, exist_ok=True)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            name = Path(self.path).name or "body"
            with (directory / name).open("wb") as out:
                remaining = length
                while remaining:
                    chunk = self.rfile.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    out.write(chunk)
                    remaining -= len(chunk)
                out.flush()
                os.fsync(out.fileno())
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def baseline(root: Path, docs: int, size: int) -> Run:
    port = free_port()
    receiver = subprocess.Popen(
        [sys.executable, __file__, "--receiver", str(root / "received"), "--port", str(port)]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url), 30, "the baseline receiver")
        session = requests.Session()
        delays = []
        began = time.perf_counter()
        for index in range(docs):
            data = body(index, size)
            sent = time.perf_counter()
            answer = session.post(f"{url}/file-{index}.pdf", data=data, timeout=60)
            answer.raise_for_status()
            delays.append(time.perf_counter() - sent)
        seconds = time.perf_counter() - began
    finally:
        receiver.terminate()
        receiver.wait(10)
    received = sorted((root / "received").iterdir())
    assert len(received) == docs and all(p.stat().st_size == size for p in received)
    return Run("bare HTTP POST + fsync (1 hop)", seconds, docs, delays)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_for(ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(0.1)


# ---- edoc ------------------------------------------------------------------------------------


class RssSampler(threading.Thread):
    """The summed RSS of an installation's process groups (children included), sampled from
    /proc every 0.2 s; ``peak_mb`` is the highest sum seen."""

    def __init__(self, installation: Installation) -> None:
        super().__init__(daemon=True)
        self.groups = set(installation.pids())  # each process leads its own group
        self.peak_mb = 0.0
        self.last_mb = self.sample()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.last_mb = self.sample()
            self.peak_mb = max(self.peak_mb, self.last_mb)

    def sample(self) -> float:
        total_kb = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                pgid = int(stat.rsplit(")", 1)[1].split()[2])
                if pgid not in self.groups:
                    continue
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
            except (OSError, ValueError, IndexError):
                continue
        return total_kb / 1024

    def stop(self) -> float:
        self.done.set()
        self.join()
        return self.peak_mb


def connect(hub: Installation, members: Sequence[Installation], certificates: Path) -> None:
    """The hub knows its members; each member knows only the hub (``edoc exchange peers add``,
    with the certificate ``edoc exchange certificate`` prints)."""
    mutual_trust([hub, *members])
    hub_pem = _certificate(hub, certificates)
    for member in members:
        member_pem = _certificate(member, certificates)
        hub.cli(
            "exchange", "peers", "add", member.organ_id, "--name", member.agency_name,
            "--endpoint", member.url, "--certificate", str(member_pem), "--kind", "member",
        )  # fmt: skip
        member.cli(
            "exchange", "peers", "add", hub.organ_id, "--name", hub.agency_name,
            "--endpoint", hub.url, "--certificate", str(hub_pem), "--kind", "hub",
        )  # fmt: skip


def _certificate(installation: Installation, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{installation.name}.pem"
    path.write_text(installation.cli("exchange", "certificate").stdout)
    return path


def arrived_at(district: Installation) -> dict[int, tuple[float, float]]:
    """Document id → (when the department took it in, when its "01" was back at the district),
    epoch seconds: the 01's own time (the department's clock) and the time the district recorded
    it, read from the district's SQLite database, read-only.

    The API gives them one document at a time (``GET /api/v1/exchange/documents/{id}/
    dispatches``): polling it for every document would load the installations being measured,
    reading the district's records directly does not."""
    uri = f"file:{district.data_dir / 'edoc.db'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as connection:
        rows = connection.execute(
            "SELECT m.document_id, MIN(e.occurred_at), MIN(e.received_at)"
            " FROM exchange_status_events e JOIN exchange_messages m ON m.id = e.message_pk"
            " WHERE e.status_code = ? AND m.direction = 'out' AND m.kind = 'document'"
            " GROUP BY m.document_id",
            (ARRIVED,),
        ).fetchall()
    return {
        int(document_id): (_epoch(occurred), _epoch(received))
        for document_id, occurred, received in rows
    }


def _epoch(naive_utc: str) -> float:
    return datetime.fromisoformat(naive_utc).replace(tzinfo=UTC).timestamp()


def through_the_hub(hub: Installation) -> float:
    """Document packages the hub forwarded per second: their count over the span from the first
    one it took in to the last one it delivered (the hub's clock, its own records)."""
    uri = f"file:{hub.data_dir / 'edoc.db'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as connection:
        count, first, last = connection.execute(
            "SELECT COUNT(*), MIN(created_at), MAX(delivered_at) FROM exchange_messages"
            " WHERE direction = 'forward' AND kind = 'document' AND state = 'delivered'"
        ).fetchone()
    span = datetime.fromisoformat(last) - datetime.fromisoformat(first)
    return count / span.total_seconds()


def prepared_documents(district: Installation, docs: int, size: int, distinct: int) -> list[int]:
    """``docs`` issued documents on the district: ``distinct`` issued the real way, the others
    copies of their records (``bench/exchange_copies.py``)."""
    real = min(distinct, docs)
    issued: list[Issued] = []
    for n in range(real):  # one per request: a batch of many can outlast a request's timeout
        draft = draft_of_size(size, seed=n)
        issued += issued_documents(district, [draft], f"Văn bản đo liên thông số {n}")
    ids = [document.id for document in issued]
    if docs > real:
        done = run_python(
            ["-m", COPIES, ",".join(map(str, ids)), str(docs - real), "100000"],
            env=district.env,
            cwd=district.data_dir,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(f"copying the issued documents failed\n{done.stderr}")
        ids += [int(i) for i in done.stdout.strip().split(",")]
    return ids


def edoc_run(root: Path, docs: int, size: int, distinct: int) -> tuple[Run, float]:
    """The edoc half; also returns the (untimed) seconds spent issuing the documents."""
    factory = Installations(root / "installations")
    try:
        hub = factory.make(HUB)
        department = factory.make(DEPARTMENT)
        district = factory.make(DISTRICT)
        connect(hub, [department, district], root / "certificates")

        print(
            f"issuing {docs} documents of {size / MB:.1f} MB on the district "
            f"({min(distinct, docs)} the real way, the others copies) …"
        )
        began = time.perf_counter()
        issued = prepared_documents(district, docs, size, distinct)
        issuing = time.perf_counter() - began

        clerk = district.api("vanthu")
        target = clerk.get(f"/api/v1/directory/{DEPARTMENT.organ_id}").json()["id"]
        sampler = RssSampler(hub)
        sampler.start()
        rss_at = {"before": sampler.last_mb}
        marks = {docs * q // 4: label for q, label in ((1, "N/4"), (2, "N/2"), (3, "3N/4"))}
        sent_at: dict[int, float] = {}
        began = time.perf_counter()
        for document_id in issued:
            sent_at[document_id] = time.time()
            answer = clerk.post(
                f"/api/v1/outgoing/{document_id}/send", json={"organization_ids": [target]}
            )
            answer.raise_for_status()
        print(f"  sent {docs} in {time.perf_counter() - began:.1f} s; waiting for the 01s …")
        arrived: dict[int, tuple[float, float]] = {}
        deadline = time.monotonic() + 600 + 10 * docs  # only so that a broken run ends
        reported = 0
        while len(arrived) < docs:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(arrived)} of {docs} arrived\n{district.logs()}")
            time.sleep(POLL_SECONDS)
            arrived = {i: t for i, t in arrived_at(district).items() if i in sent_at}
            for mark, label in marks.items():
                if mark and len(arrived) >= mark and label not in rss_at:
                    rss_at[label] = sampler.last_mb
            if len(arrived) >= reported + max(docs // 20, 1):
                reported = len(arrived)
                print(
                    f"    {reported} arrived after {time.perf_counter() - began:.0f} s, "
                    f"hub RSS {sampler.last_mb:.0f} MB",
                    flush=True,
                )
        seconds = time.perf_counter() - began
        rss_at["N"] = sampler.last_mb
        peak = sampler.stop()
        delays = [arrived[i][1] - sent_at[i] for i in sent_at]  # 01 back at the district
        run = Run("edoc district → hub → department", seconds, docs, delays, peak, rss_at)
        run.at_department = [arrived[i][0] - sent_at[i] for i in sent_at]
        run.hub_rate = through_the_hub(hub)
        return run, issuing
    finally:
        factory.stop_all()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument(
        "--distinct", type=int, default=10, help="documents issued the real way (the rest copies)"
    )
    parser.add_argument(
        "--only-baseline", action="store_true", help="the bare HTTP loop only (no exchange yet)"
    )
    parser.add_argument("--receiver", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receiver:
        serve_receiver(args.receiver, args.port)
        return

    size = int(args.mb * MB)
    print(
        f"{args.docs} files of {args.mb:g} MB, loopback, {os.cpu_count()} cores, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-exchange-") as directory:
        root = Path(directory)
        bare = baseline(root / "baseline", args.docs, size)
        bare.show()
        if args.only_baseline:
            return
        ours, issuing = edoc_run(root / "edoc", args.docs, size, args.distinct)
        print(f"  (issuing on the district, not timed: {issuing:.1f} s)")
        ours.show()
        print(f"  load average at the end: {os.getloadavg()[0]:.1f}")
        # the shared machine's load changes over a long run: the baseline again, after; the
        # slower of the two baselines would flatter edoc, so the faster one counts
        again = baseline(root / "baseline-after", args.docs, size)
        again.label = "bare HTTP POST + fsync, again after"
        again.show()
        bare = min(bare, again, key=lambda run: run.seconds)
        print(
            f"ratio (edoc time / bare time): {ours.seconds / bare.seconds:.2f}; "
            f"p95 edoc (send → 01 back at the district) {ours.p95:.2f} s "
            f"vs bare {bare.p95 * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
