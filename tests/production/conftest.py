"""One production profile (gunicorn with 3 workers, ``edoc worker`` on Redis, PostgreSQL, a
SeaweedFS S3) per test module; skipped where PostgreSQL or Redis does not answer."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from tests.fixtures.production import DEFAULT_POSTGRES, DEFAULT_REDIS, ProductionProfile


def _services_answer() -> str | None:
    try:
        with psycopg.connect(DEFAULT_POSTGRES, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL at {DEFAULT_POSTGRES} does not answer: {error}"
    try:
        redis.Redis.from_url(DEFAULT_REDIS, socket_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis at {DEFAULT_REDIS} does not answer: {error}"
    return None


@pytest.fixture(scope="module")
def profile() -> Iterator[ProductionProfile]:
    """Under /tmp/prod-journey-*: its logs are kept after the run (the data is removed)."""
    missing = _services_answer()
    if missing:
        pytest.skip(missing)
    made = ProductionProfile(
        Path(tempfile.mkdtemp(prefix="prod-journey-", dir="/tmp")),
        web_workers=3,
        web_threads=4,
        extra_env={
            # many sign-ins from one address; webhooks to a loopback port that refuses
            "EDOC_RATELIMIT_LOGIN": "10000 per minute",
            "EDOC_RATELIMIT_TOKEN": "10000 per minute",
            "EDOC_WEBHOOK_ALLOW_PRIVATE": "true",
        },
    )
    try:
        made.setup("--no-paperwork", "--no-index")
        made.start()
        yield made
    finally:
        made.teardown()
        for bulky in ("data", "seaweed", "prometheus"):
            shutil.rmtree(made.root / bulky, ignore_errors=True)
