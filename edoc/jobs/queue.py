"""The Huey instance, built from ``EDOC_QUEUE_URL`` when this module is first imported."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from edoc.config import ConfigError


def make_huey(url: str | None = None) -> Huey:
    url = url or os.environ.get("EDOC_QUEUE_URL", "")
    if not url:
        data_dir = Path(os.environ.get("EDOC_DATA_DIR", "var")).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("edoc", filename=str(data_dir / "queue.db"))
    parsed = urlparse(url)
    if parsed.scheme == "redis":
        return RedisHuey("edoc", url=url)
    if parsed.scheme == "sqlite":
        return SqliteHuey("edoc", filename=parsed.path)
    if parsed.scheme == "memory":
        return MemoryHuey("edoc")
    raise ConfigError(f"EDOC_QUEUE_URL: expected redis://… or sqlite:///PATH, got {url!r}")


huey = make_huey()
