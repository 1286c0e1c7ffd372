from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edoc.config import ConfigError, Settings


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("EDOC_PORT", "abc", "EDOC_PORT: expected a whole number"),
        ("EDOC_PORT", "70000", "EDOC_PORT: must be between 1 and 65535"),
        ("EDOC_DATABASE_URL", "mysql://x/y", "EDOC_DATABASE_URL: expected sqlite"),
        ("EDOC_STORAGE_URL", "ftp://x", "EDOC_STORAGE_URL: expected file"),
        ("EDOC_STORAGE_URL", "s3://", "EDOC_STORAGE_URL: the s3 URL needs a bucket"),
        ("EDOC_SEARCH_URL", "solr://x", "EDOC_SEARCH_URL"),
        ("EDOC_SEARCH_URL", "tantivy://relative/dir", "tantivy:///ABSOLUTE/PATH"),
        ("EDOC_SESSION_SECURE", "maybe", "EDOC_SESSION_SECURE: expected true or false"),
        ("EDOC_TIMEZONE", "Mars/Olympus", "EDOC_TIMEZONE: unknown time zone"),
        ("EDOC_MAX_UPLOAD_MB", "0", "EDOC_MAX_UPLOAD_MB: must be between"),
    ],
)
def test_bad_value_names_the_variable(tmp_path: Path, name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"EDOC_DATA_DIR": str(tmp_path), name: value})
    assert fragment in str(caught.value)


def test_defaults_put_everything_under_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"EDOC_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'edoc.db'}"
    assert settings.storage_url == f"file://{tmp_path / 'blobs'}"
    assert settings.port == 5000
    # the generated secret is kept, so sessions survive a restart
    assert Settings.from_env({"EDOC_DATA_DIR": str(tmp_path)}).secret_key == settings.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_plain_postgresql_url_uses_psycopg3(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"EDOC_DATA_DIR": str(tmp_path), "EDOC_DATABASE_URL": "postgresql://u@h/db"}
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_cli_stops_with_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "EDOC_DATA_DIR": str(tmp_path), "EDOC_PORT": "nope"}
    result = subprocess.run(
        [sys.executable, "-c", "from edoc.cli import main; main()", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "edoc: configuration error: EDOC_PORT: expected a whole number, got 'nope'"
    ]


@pytest.mark.parametrize("value", ["db", "tantivy", "tantivy:///srv/edoc/search", "http://es:9200"])
def test_search_urls_accepted(tmp_path: Path, value: str) -> None:
    settings = Settings.from_env({"EDOC_DATA_DIR": str(tmp_path), "EDOC_SEARCH_URL": value})
    assert settings.search_url == value
