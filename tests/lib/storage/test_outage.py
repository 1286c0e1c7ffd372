"""Kill the S3 server in the middle of an upload: a prompt, clear error; nothing half-stored."""

from __future__ import annotations

import io
import threading
import time
import uuid
from pathlib import Path

import pytest

from storage import StorageUnavailable, open_store
from tests.fixtures.seaweed import SeaweedServer
from tests.fixtures.streams import PatternStream


class SlowStream(PatternStream):
    """Feeds an upload slowly, and says when the upload is well under way."""

    def __init__(self, size: int, started: threading.Event) -> None:
        super().__init__(size)
        self.started = started
        self.sent = 0

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = super().readinto(buffer[: 256 * 1024])
        self.sent += count
        if self.sent > 20 * 1024 * 1024:
            self.started.set()
            time.sleep(0.01)
        return count


def test_server_dies_mid_upload(tmp_path: Path) -> None:
    server = SeaweedServer(tmp_path / "weed")
    server.start()
    try:
        store = open_store(server.url(f"edoc-{uuid.uuid4().hex[:8]}"))
        store.check()
        started = threading.Event()
        killer = threading.Thread(target=lambda: started.wait(60) and server.stop())
        killer.start()
        began = time.monotonic()
        with pytest.raises(StorageUnavailable):
            store.put(SlowStream(200 * 1024 * 1024, started))  # type: ignore[arg-type]
        assert time.monotonic() - began < 60
        killer.join()

        with pytest.raises(StorageUnavailable):
            store.check()

        server.start()
        assert list(store.iter_blobs()) == []  # nothing visible under any address
        info = store.put(io.BytesIO(b"after the restart"))
        with store.open(info.sha256) as stream:
            assert stream.read() == b"after the restart"
    finally:
        server.stop()
