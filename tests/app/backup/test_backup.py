"""``edoc backup`` and ``edoc restore``: the demo backed up, wiped and restored into a new
installation agrees with the original (fsck, audit chain, counts, search), on SQLite and on
PostgreSQL; a damaged backup or a used target is refused and changes nothing."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from edoc.app import create_app
from edoc.audit.models import AuditEvent
from edoc.cli import cli
from edoc.core.extensions import db
from edoc.demo.agency import create_demo_agency
from edoc.documents.models import Document
from edoc.users.models import User
from storage import open_store
from tests.fixtures.app import DEMO_PASSWORD, DatabaseUnderTest, _settings, bearer
from tests.fixtures.documents import receive_incoming
from tests.fixtures.pdfs import text_pdf
from tests.fixtures.seaweed import SeaweedServer


def invoke(app: Flask, *args: str) -> tuple[int, str]:
    """Exit code and what the command printed (stdout: the result; stderr: progress)."""
    result = app.test_cli_runner().invoke(cli, list(args))
    return result.exit_code, result.stdout if "--json" in args else result.output


@pytest.fixture
def fresh(database: DatabaseUnderTest, tmp_path: Path) -> Iterator[Any]:
    """Makes new, empty installations of the same kind as the one under test (SQLite: a new
    file; PostgreSQL: a new database with the test schema's name, as an operator would create
    it), holding the audit key given: the operator installs it from where it is kept."""
    made: list[tuple[Flask, str | None]] = []
    server = create_engine(database.url.split("?", 1)[0], isolation_level="AUTOCOMMIT")

    def make(audit_key: bytes | None, name: str = "restored") -> Flask:
        data_dir = tmp_path / name
        data_dir.mkdir()
        if audit_key is not None:
            (data_dir / "audit_key").write_bytes(audit_key)
        if database.kind == "sqlite":
            url, created = f"sqlite:///{tmp_path / f'{name}.db'}", None
        else:
            created = f"edoc_restore_{uuid.uuid4().hex[:10]}"
            schema = make_url(database.url).query["options"].split("=", 1)[1]
            with server.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{created}"'))
            url = database.url.replace("/test?", f"/{created}?")
            schema_engine = create_engine(url.split("?", 1)[0])
            with schema_engine.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            schema_engine.dispose()
        target = create_app(_settings(data_dir, url), overrides={"TESTING": True})
        made.append((target, created))
        return target

    yield make
    for target, created in made:
        with target.app_context():
            db.engine.dispose()
        if created:
            with server.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)'))
    server.dispose()


def _state(app: Flask) -> dict[str, Any]:
    """What must be the same after a restore: counts, fsck, the audit chain and a search."""
    with app.app_context():
        documents = db.session.scalar(select(func.count()).select_from(Document))
        audit_rows = db.session.scalar(select(func.count()).select_from(AuditEvent))
        subjects = sorted(db.session.scalars(select(Document.subject)))
    fsck_code, fsck_out = invoke(app, "fsck", "--json")
    audit_code, audit_out = invoke(app, "audit", "verify")
    client = app.test_client()
    found = client.get(
        "/api/v1/search", query_string={"q": "đê điều"}, headers=bearer(client, "vanthu")
    ).get_json()
    return {
        "documents": documents,
        "subjects": subjects,
        "audit_rows": audit_rows,
        "fsck": (fsck_code, json.loads(fsck_out)["checked"]),
        "audit_ok": (audit_code, "audit log intact" in audit_out),
        "search": sorted(result["number_notation"] for result in found["results"]),
    }


def _used_installation(app: Flask) -> dict[str, str]:
    """The demo agency with a year of paperwork (small) and one letter on dykes to search."""
    code, output = invoke(app, "demo", "--documents", "4", "--no-keys")
    assert code == 0, output
    client = app.test_client()
    clerk = bearer(client, "vanthu")
    receive_incoming(
        client, clerk, text_pdf("Đề nghị các xã ven biển gia cố đê điều trước mùa mưa.")
    )
    return clerk


def test_backup_wipe_restore_round_trip(app: Flask, fresh: Any, tmp_path: Path) -> None:
    _used_installation(app)
    before = _state(app)
    assert before["fsck"][0] == 0 and before["audit_ok"] == (0, True)
    assert before["search"], "the letter on dykes is found before the backup"

    code, output = invoke(app, "backup", "--out", str(tmp_path / "backups" / "first"))
    assert code == 0, output
    backup = tmp_path / "backups" / "first"
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["tables"]["documents"] == before["documents"]
    assert manifest["blob_store"]["included"] and manifest["blobs"]
    assert not list((tmp_path / "backups").glob(".*")), "no partial directory is left"
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "backup.created"))
            == 1
        )

    settings = app.config["EDOC"]
    audit_key = (settings.data_dir / "audit_key").read_bytes()
    shutil.rmtree(settings.data_dir)  # the server's disk is lost: blobs, key and all

    restored = fresh(audit_key)
    code, output = invoke(restored, "restore", str(backup))
    assert code == 0, output
    after = _state(restored)
    # every audit row of the backup, and the restore's own entry; the chain is still whole
    backed_up_rows = manifest["tables"]["audit_events"]
    assert after == {**before, "audit_rows": backed_up_rows + 1}
    with restored.app_context():
        assert (
            db.session.scalar(select(func.count()).where(AuditEvent.action == "backup.restored"))
            == 1
        )

    # a second backup beside the first one links its blobs instead of copying them
    code, output = invoke(restored, "backup", "--out", str(tmp_path / "backups" / "second"))
    assert code == 0, output
    assert f"0 copied, {len(manifest['blobs'])} linked" in output


@pytest.fixture
def small_backup(app: Flask, tmp_path: Path) -> tuple[Path, bytes]:
    """A backup of the demo agency with two received letters (quick to make)."""
    with app.app_context():
        create_demo_agency(DEMO_PASSWORD)
    client = app.test_client()
    clerk = bearer(client, "vanthu")
    for text_body in ("Công văn thứ nhất.", "Công văn thứ hai."):
        receive_incoming(client, clerk, text_pdf(text_body))
    code, output = invoke(app, "backup", "--out", str(tmp_path / "backup"))
    assert code == 0, output
    return tmp_path / "backup", (app.config["EDOC"].data_dir / "audit_key").read_bytes()


def _is_untouched(target: Flask) -> bool:
    with target.app_context():
        tables = inspect(db.engine).get_table_names()
        return (
            "users" not in tables or db.session.scalar(select(func.count()).select_from(User)) == 0
        )


def test_restore_refuses_an_installation_in_use(
    app: Flask, small_backup: tuple[Path, bytes]
) -> None:
    backup, _key = small_backup
    code, output = invoke(app, "restore", str(backup))
    assert code == 1
    assert "restore refused: this installation is not empty" in output
    assert "users: " in output


def test_restore_refuses_an_altered_database_dump(
    small_backup: tuple[Path, bytes], fresh: Any
) -> None:
    backup, key = small_backup
    dump = next(backup.glob("database.*"))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    target = fresh(key)
    code, output = invoke(target, "restore", str(backup))
    assert code == 1
    assert f"{dump.name}: checksum differs from the manifest" in output
    assert "nothing was restored" in output
    assert _is_untouched(target)


def test_restore_refuses_a_backup_missing_a_blob(
    small_backup: tuple[Path, bytes], fresh: Any
) -> None:
    backup, key = small_backup
    blob = sorted((backup / "blobs").rglob("*"))[-1]
    assert blob.is_file()
    blob.unlink()
    target = fresh(key)
    code, output = invoke(target, "restore", str(backup))
    assert code == 1
    assert f"blob {blob.name}: missing from the backup" in output
    assert _is_untouched(target)
    assert not list((target.config["EDOC"].data_dir / "blobs").rglob("*/*/*"))


def test_restore_refuses_a_blob_whose_content_changed(
    small_backup: tuple[Path, bytes], fresh: Any
) -> None:
    backup, key = small_backup
    blob = next(path for path in (backup / "blobs").rglob("*") if path.is_file())
    blob.chmod(0o644)
    blob.write_bytes(blob.read_bytes() + b"%")
    code, output = invoke(fresh(key), "restore", str(backup))
    assert code == 1
    assert f"blob {blob.name}: content does not match its address" in output


def test_restore_refuses_another_audit_key(small_backup: tuple[Path, bytes], fresh: Any) -> None:
    backup, _key = small_backup
    target = fresh(b"k" * 64)
    code, output = invoke(target, "restore", str(backup))
    assert code == 1
    assert "is not the one the backed-up audit log was sealed with" in output
    assert _is_untouched(target)


def test_backup_refuses_an_existing_directory(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    code, output = invoke(app, "backup", "--out", str(tmp_path / "taken"))
    assert code == 1
    assert "already exists" in output


def _on_bucket(app: Flask, seaweed: SeaweedServer, bucket: str) -> Flask:
    with app.app_context():
        app.extensions["edoc.blobstore"] = open_store(seaweed.url(bucket))
    return app


def test_s3_blobs_are_listed_and_checked_not_copied_unless_asked(
    app: Flask, database: DatabaseUnderTest, seaweed: SeaweedServer, fresh: Any, tmp_path: Path
) -> None:
    if database.kind != "sqlite":
        pytest.skip("the store's part does not depend on the database (run once, on SQLite)")
    bucket = f"edoc-backup-{uuid.uuid4().hex[:8]}"
    _on_bucket(app, seaweed, bucket)
    with app.app_context():
        create_demo_agency(DEMO_PASSWORD)
    client = app.test_client()
    receive_incoming(client, bearer(client, "vanthu"), text_pdf("Công văn trên S3."))
    key = (app.config["EDOC"].data_dir / "audit_key").read_bytes()

    code, output = invoke(app, "backup", "--out", str(tmp_path / "listed"))
    assert code == 0, output
    manifest = json.loads((tmp_path / "listed" / "manifest.json").read_text())
    assert manifest["blob_store"]["kind"] == "s3" and not manifest["blob_store"]["included"]
    assert manifest["blob_store"]["protection"]["versioning"] == "Enabled"
    assert "no object lock" in output  # the bucket was made without it: the operator is told
    assert manifest["blobs"] and not (tmp_path / "listed" / "blobs").exists()

    # into a new installation on another, empty bucket: the blobs are nowhere to be found
    elsewhere = _on_bucket(fresh(key, "elsewhere"), seaweed, f"{bucket}-empty")
    code, output = invoke(elsewhere, "restore", str(tmp_path / "listed"))
    assert code == 1
    assert f"{len(manifest['blobs'])} blobs of the backup are not in" in output
    assert _is_untouched(elsewhere)

    # on the same bucket (what its versioning protects), the database is all there is to restore
    same = _on_bucket(fresh(key, "same"), seaweed, bucket)
    code, output = invoke(same, "restore", str(tmp_path / "listed"))
    assert code == 0, output
    assert invoke(same, "fsck")[0] == 0

    # --include-blobs: a complete copy, restorable onto an empty bucket
    code, output = invoke(app, "backup", "--include-blobs", "--out", str(tmp_path / "copied"))
    assert code == 0, output
    copied = _on_bucket(fresh(key, "from-copy"), seaweed, f"{bucket}-copy")
    code, output = invoke(copied, "restore", str(tmp_path / "copied"))
    assert code == 0, output
    assert invoke(copied, "fsck")[0] == 0
