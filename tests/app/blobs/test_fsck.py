"""``edoc fsck`` and ``edoc gc`` against real stored documents."""

from __future__ import annotations

import io
import json
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from edoc.blobs.service import blob_store
from edoc.cli import cli
from tests.fixtures.app import api_token
from tests.fixtures.documents import post_incoming
from tests.fixtures.selfsigned import blank_pdf


def _fsck(app: Flask, *args: str) -> tuple[int, dict]:
    result = app.test_cli_runner().invoke(cli, ["fsck", "--json", *args])
    return result.exit_code, json.loads(result.output)


def test_fsck_finds_corrupt_missing_and_orphaned(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    clerk = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    first, second = (
        post_incoming(client, clerk, blank_pdf(text)).get_json()["document"]["files"][0]["sha256"]
        for text in ("mot", "hai")
    )
    code, report = _fsck(app)
    assert (code, report["healthy"], report["checked"]) == (0, True, 2)

    with app.app_context():
        store = blob_store()
        path = store._path(first)  # type: ignore[attr-defined]
        path.chmod(0o644)
        data = bytearray(path.read_bytes())
        data[-5] ^= 0x01
        path.write_bytes(bytes(data))
        store.delete(second, unreferenced=True)
        orphan = store.put(io.BytesIO(b"left behind by a failed commit")).sha256

    code, report = _fsck(app, "--grace-hours", "0")
    assert code == 1
    assert report["corrupt"] == [first]
    assert report["missing"] == [second]
    assert report["orphaned"] == [orphan]

    download = client.get("/api/v1/documents/1/file", headers=clerk)
    assert download.status_code == 500
    assert download.get_json()["error"]["code"] == "integrity_error"

    # a fresh orphan is an upload in progress, not garbage
    code, report = _fsck(app)
    assert report["orphaned"] == [] and report["recent_unreferenced"] == 1

    gc = app.test_cli_runner().invoke(cli, ["gc", "--grace-hours", "0"])
    assert "removed 1 orphaned blobs" in gc.output
    with app.app_context():
        assert not blob_store().exists(orphan)
        assert blob_store().exists(first)  # referenced, even if corrupt: never collected


def test_storage_copy_to_another_backend(
    app: Flask, client: FlaskClient, demo: None, tmp_path: Path
) -> None:
    clerk = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    for text in ("a", "b", "c"):
        post_incoming(client, clerk, blank_pdf(text))
    target = tmp_path / "copy"
    result = app.test_cli_runner().invoke(cli, ["storage", "copy", "--to", f"file://{target}"])
    assert result.exit_code == 0, result.output
    assert "copied 3, already there 0" in result.output
    again = app.test_cli_runner().invoke(cli, ["storage", "copy", "--to", f"file://{target}"])
    assert "copied 0, already there 3" in again.output
