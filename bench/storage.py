"""Storage benchmark: edoc's S3 BlobStore against the bare minio client, in the same run.

Puts 200 files of 1 MB and one of 1 GB into a SeaweedFS started here, through ``storage`` and
through ``minio.put_object`` (the baseline), and prints throughput, the ratio, and the peak RSS
growth during the 1 GB put (the stream is generated, so any growth is the store's buffering).

    .venv/bin/python bench/storage.py [--small 200] [--large-mb 1024]
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import MB, Generated, whole_number_options
from storage import open_store
from tests.fixtures.seaweed import SeaweedServer


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    def __init__(self) -> None:
        self.start = rss_mb()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def report(label: str, megabytes: int, ours: float, bare: float) -> None:
    print(
        f"{label}: edoc {megabytes / ours:6.1f} MB/s, bare {megabytes / bare:6.1f} MB/s, "
        f"ratio {bare / ours:.2f} (goal >= 0.8)"
    )


def timed(label: str, action: Callable[[], None]) -> float:
    began = time.perf_counter()
    action()
    seconds = time.perf_counter() - began
    print(f"  {label:<44} {seconds:7.2f} s")
    return seconds


def main() -> None:
    args = whole_number_options(__doc__.splitlines()[0], small=200, large_mb=1024)

    with tempfile.TemporaryDirectory() as directory:
        server = SeaweedServer(Path(directory))
        server.start()
        try:
            store = open_store(server.url("bench-edoc"))
            store.check()
            baseline = open_store(server.url("bench-minio"))
            baseline.check()  # creates the bucket with the same settings
            client, bucket = baseline.client, baseline.bucket  # type: ignore[attr-defined]

            def ours_small(round_: int) -> None:
                for i in range(args.small):
                    store.put(Generated(MB, f"ours-{round_}-{i}".encode()))  # type: ignore[arg-type]

            def bare_small(round_: int) -> None:
                for i in range(args.small):
                    data = Generated(MB, f"bare-{round_}-{i}".encode())
                    client.put_object(bucket, f"o/{uuid.uuid4().hex}", data, MB)

            large = args.large_mb * MB

            def ours_large() -> None:
                store.put(Generated(large, b"ours-large"))  # type: ignore[arg-type]

            def bare_large() -> None:
                data = Generated(large, b"bare-large")
                client.put_object(bucket, "o/large", data, -1, part_size=16 * MB)

            print(f"SeaweedFS on loopback, {os.cpu_count()} cores; warming up both buckets")
            ours_small(-1)
            bare_small(-1)
            # Two rounds in alternating order with fresh content (no dedup); the better run counts.
            t_bare = timed(f"bare minio: {args.small} x 1 MB", lambda: bare_small(0))
            t_ours = timed(f"edoc storage: {args.small} x 1 MB", lambda: ours_small(0))
            t_ours = min(t_ours, timed(f"edoc storage: {args.small} x 1 MB", lambda: ours_small(1)))
            t_bare = min(t_bare, timed(f"bare minio: {args.small} x 1 MB", lambda: bare_small(1)))
            t_bare_large = timed(f"bare minio: 1 x {args.large_mb} MB", bare_large)
            with PeakRss() as rss:
                t_ours_large = timed(f"edoc storage: 1 x {args.large_mb} MB", ours_large)

            report("small files", args.small, t_ours, t_bare)
            report("large file ", args.large_mb, t_ours_large, t_bare_large)
            growth = rss.peak - rss.start
            print(f"peak RSS growth during the large put: {growth:.1f} MB (goal < 100 MB)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
