"""``take_backup`` and ``restore_backup``: a backup directory that is known to restore.

A backup is one directory::

    manifest.json           what is in it, and the SHA-256 of every file (below)
    database.sqlite3        SQLite's online backup, or
    database.pgdump         pg_dump's custom format (one snapshot)
    audit-checkpoints/      the signed checkpoints of the audit chain (they live outside the DB)
    blobs/ab/cd/abcd…       the stored files, laid out like the file store (file store, or S3
                            with --include-blobs); hard links to the previous backup beside it
                            when it has the same blob, so a nightly backup costs only what is new

It is written under a hidden name and renamed at the end: a directory with the final name is
complete. The database is dumped before the blobs are listed, so every blob the dump refers to
is already stored (a blob is always stored before the row naming it commits).

Restoring is refused unless the target installation is empty (no user, document or audit row),
the backup is intact (every file's checksum, every blob's content against its address), the
audit key is the one the chain was sealed with, and this edoc knows the backup's schema revision.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app

from edoc.audit.services import Operator, record
from edoc.backup import database
from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.core.migrate import alembic_config, upgrade
from edoc.search.indexing import reindex
from storage import BlobStore, IntegrityError
from storage.base import SHA256_RE
from storage.hashing import CHUNK
from storage.s3 import S3Store

FORMAT = "edoc-backup/1"
MANIFEST = "manifest.json"
BLOBS = "blobs"
CHECKPOINTS = "audit-checkpoints"
KEY_CHECK_LABEL = b"edoc-backup/audit-key-check"

#: ``progress(step, done, total)``: the commands draw it; tests pass nothing.
Progress = Callable[[str, int, int], None]


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


class RestoreRefused(BackupError):
    """The backup or the target installation is not fit for a restore; nothing was changed."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass
class BackupResult:
    path: Path
    manifest_sha256: str
    blobs: int
    blobs_copied: int
    blobs_linked: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    documents_indexed: int
    blobs_restored: int
    tables: dict[str, int]


def _quiet(_step: str, _done: int, _total: int) -> None:
    """No progress to show."""


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _blob_path(root: Path, sha256: str) -> Path:
    return root / BLOBS / sha256[:2] / sha256[2:4] / sha256


def audit_key_check(key: bytes) -> str:
    """A fingerprint of the audit key that reveals nothing of it (for the manifest)."""
    return hmac.new(key, KEY_CHECK_LABEL, hashlib.sha256).hexdigest()[:32]


def _public_url(url: str) -> str:
    """The store's address without credentials (the manifest is not a secret)."""
    return url.split("?", 1)[0]


def s3_protection(store: S3Store) -> dict[str, Any]:
    """Whether the bucket keeps what a database restore needs: versioning (an overwritten or
    deleted object can be brought back) and, better, object lock (it cannot be deleted)."""
    report: dict[str, Any] = {"bucket": store.bucket}
    try:
        report["versioning"] = store.client.get_bucket_versioning(store.bucket).status or "Off"
    except Exception as error:  # any S3 error: reported, the backup goes on
        report["versioning"] = f"unknown ({error})"
    try:
        config = store.client.get_object_lock_config(store.bucket)
        report["object_lock"] = {"mode": config.mode, "duration": list(config.duration or ())}
    except Exception:  # no object lock configuration on this bucket
        report["object_lock"] = None
    return report


def _previous_backup(out: Path) -> Path | None:
    """The newest complete backup beside ``out``, whose blobs can be hard-linked."""
    if not out.parent.is_dir():
        return None
    found = [
        candidate
        for candidate in out.parent.iterdir()
        if candidate.is_dir() and not candidate.name.startswith(".") and candidate != out
        if (candidate / MANIFEST).is_file()
    ]
    return max(found, key=lambda p: (p / MANIFEST).stat().st_mtime, default=None)


def _copy_blob(store: BlobStore, sha256: str, target: Path) -> None:
    """Copy through the verifying reader: a corrupt blob stops the backup instead of being
    preserved as if it were good."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with store.open(sha256) as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            out.write(chunk)
    target.chmod(0o444)


def take_backup(
    out: Path, *, include_blobs: bool = False, progress: Progress = _quiet
) -> BackupResult:
    """Write a complete backup to the new directory ``out`` (see the module's docstring)."""
    out = out.resolve()
    if out.exists():
        raise BackupError(f"{out} already exists: give a new directory for each backup")
    settings = current_app.config["EDOC"]
    store = blob_store()
    is_s3 = isinstance(store, S3Store)
    copy_blobs = include_blobs or not is_s3
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    try:
        kind = database.engine_kind()
        progress("database", 0, 1)
        dump_name = database.dump_file_name(kind)
        tables = database.dump(partial / dump_name)
        revision = database.alembic_revision()
        progress("database", 1, 1)

        checkpoint_dir = settings.checkpoint_dir()
        if checkpoint_dir.is_dir():
            shutil.copytree(checkpoint_dir, partial / CHECKPOINTS)

        blobs = sorted((blob.sha256, blob.size) for blob in store.iter_blobs())
        warnings: list[str] = []
        store_report: dict[str, Any] = {
            "kind": "s3" if is_s3 else "file",
            "url": _public_url(store.url),
            "included": copy_blobs,
        }
        if is_s3:
            protection = s3_protection(store)  # type: ignore[arg-type]
            store_report["protection"] = protection
            if protection.get("versioning") != "Enabled":
                warnings.append(
                    f"bucket {store.bucket} has no versioning: a deleted or overwritten object "  # type: ignore[attr-defined]
                    "cannot be recovered; enable it (see docs/operations.md)"
                )
            if not protection.get("object_lock"):
                warnings.append(
                    "the bucket has no object lock: blobs a database backup refers to can "
                    "still be deleted from it"
                )
        copied = linked = 0
        previous = _previous_backup(out) if copy_blobs else None
        for done, (sha256, size) in enumerate(blobs if copy_blobs else [], start=1):
            target = _blob_path(partial, sha256)
            earlier = _blob_path(previous, sha256) if previous else None
            if earlier is not None and earlier.is_file() and earlier.stat().st_size == size:
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(earlier, target)
                    linked += 1
                except OSError:  # another file system: copy instead
                    _copy_blob(store, sha256, target)
                    copied += 1
            else:
                _copy_blob(store, sha256, target)
                copied += 1
            progress("blobs", done, len(blobs))

        files = {
            str(path.relative_to(partial)): {
                "sha256": file_digest(path),
                "size": path.stat().st_size,
            }
            for path in sorted(partial.rglob("*"))
            if path.is_file() and path.relative_to(partial).parts[0] != BLOBS
        }
        manifest = {
            "format": FORMAT,
            "edoc_version": metadata.version("edoc"),
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "host": socket.gethostname(),
            "organ_id": settings.organ_id,
            "alembic_revision": revision,
            "database": {
                "engine": kind,
                "file": dump_name,
                **({"schema": database.postgres_schema()} if kind == "postgresql" else {}),
            },
            "tables": tables,
            "audit_key_check": audit_key_check(settings.audit_hmac_key()),
            "files": files,
            "blob_store": store_report,
            "blobs": [{"sha256": sha256, "size": size} for sha256, size in blobs],
            "warnings": warnings,
        }
        data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
        (partial / MANIFEST).write_bytes(data)
        _fsync_tree(partial)
        os.rename(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    manifest_sha256 = hashlib.sha256(data).hexdigest()
    record(
        "backup.created",
        actor=Operator.cli("edoc backup"),
        path=str(out),
        manifest_sha256=manifest_sha256,
        blobs=len(blobs),
        blobs_included=copy_blobs,
        documents=tables.get("documents", 0),
    )
    db.session.commit()
    return BackupResult(out, manifest_sha256, len(blobs), copied, linked, warnings)


def _fsync_tree(root: Path) -> None:
    """Everything on disk before the rename makes the backup look complete."""
    for path in [*root.rglob("*"), root]:
        if path.is_file() and path.stat().st_nlink == 1:
            with path.open("rb") as stream:
                os.fsync(stream.fileno())


def read_manifest(backup: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RestoreRefused(f"{backup} is not an edoc backup (no {MANIFEST})") from None
    except (OSError, ValueError) as error:
        raise RestoreRefused(f"{backup / MANIFEST} is unreadable: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreRefused(f"{backup / MANIFEST}: not a backup format this edoc reads ({FORMAT})")
    return manifest


def verify_backup(backup: Path, manifest: dict[str, Any], progress: Progress = _quiet) -> list[str]:
    """Every problem found in the backup's files and blobs ([] when it is intact)."""
    problems: list[str] = []
    files: dict[str, dict[str, Any]] = manifest.get("files", {})
    for name, expected in files.items():
        path = (backup / name).resolve()
        if not path.is_relative_to(backup.resolve()):
            problems.append(f"{name}: path outside the backup")
        elif not path.is_file():
            problems.append(f"{name}: missing")
        elif path.stat().st_size != expected.get("size") or file_digest(path) != expected.get(
            "sha256"
        ):
            problems.append(f"{name}: checksum differs from the manifest (altered or damaged)")
    if manifest.get("database", {}).get("file") not in files:
        problems.append("the database dump is not listed in the manifest")
    if manifest.get("blob_store", {}).get("included"):
        blobs = manifest.get("blobs", [])
        for done, blob in enumerate(blobs, start=1):
            sha256, size = str(blob.get("sha256", "")), blob.get("size")
            path = _blob_path(backup, sha256) if SHA256_RE.match(sha256) else backup / "?"
            if not path.is_file():
                problems.append(f"blob {sha256}: missing from the backup")
            elif path.stat().st_size != size or file_digest(path) != sha256:
                problems.append(f"blob {sha256}: content does not match its address")
            progress("verify", done, len(blobs))
    return problems


def _target_audit_key() -> bytes | None:
    """This installation's audit key, without creating one (``audit_hmac_key`` would)."""
    settings = current_app.config["EDOC"]
    if settings.audit_key or settings.audit_key_file is not None:
        return settings.audit_hmac_key()
    if (settings.data_dir / "audit_key").is_file():
        return settings.audit_hmac_key()
    return None


def check_target(manifest: dict[str, Any]) -> None:
    """Refuse a target that is in use or cannot take this backup; change nothing."""
    settings = current_app.config["EDOC"]
    kind = database.engine_kind()
    if manifest["database"]["engine"] != kind:
        raise RestoreRefused(
            f"the backup holds a {manifest['database']['engine']} database; this installation "
            f"uses {kind} (EDOC_DATABASE_URL)"
        )
    in_use = database.installation_in_use()
    if in_use:
        rows = ", ".join(f"{name}: {count}" for name, count in sorted(in_use.items()))
        raise RestoreRefused(
            "this installation is not empty "
            f"({rows}); restore only into a new installation (new database and data directory)"
        )
    checkpoints = settings.checkpoint_dir()
    if checkpoints.is_dir() and any(checkpoints.iterdir()):
        raise RestoreRefused(f"{checkpoints} already holds audit checkpoints of another chain")
    if kind == "postgresql" and manifest["database"].get("schema") != database.postgres_schema():
        raise RestoreRefused(
            f"the dump is of schema {manifest['database'].get('schema')!r}; this installation "
            f"uses {database.postgres_schema()!r} (set search_path in EDOC_DATABASE_URL)"
        )
    revision = manifest.get("alembic_revision")
    try:
        known = revision is not None and ScriptDirectory.from_config(alembic_config()).get_revision(
            revision
        )
    except CommandError:
        known = False
    if not known:
        raise RestoreRefused(
            f"the backup's schema revision {revision!r} is unknown to this edoc "
            f"{metadata.version('edoc')}: restore with the version that made it "
            f"({manifest.get('edoc_version')}) or a newer one"
        )
    key = _target_audit_key()
    where = settings.audit_key_file or settings.data_dir / "audit_key"
    if key is None:
        raise RestoreRefused(
            "this installation has no audit key yet: put the key the backed-up installation "
            f"used (kept apart from backups) at {where} or in EDOC_AUDIT_KEY_FILE"
        )
    if audit_key_check(key) != manifest.get("audit_key_check"):
        raise RestoreRefused(
            f"the audit key at {where} is not the one the backed-up audit log was sealed with; "
            "install that key first, or `edoc audit verify` would fail on every row"
        )


def _missing_from_store(store: BlobStore, blobs: list[dict[str, Any]]) -> list[str]:
    missing = []
    for blob in blobs:
        try:
            if store.stat(blob["sha256"]).size != blob["size"]:
                missing.append(blob["sha256"])
        except Exception:  # absent or unreadable: either way not restorable from the store
            missing.append(blob["sha256"])
    return missing


def _iter_backup_blobs(backup: Path, blobs: list[dict[str, Any]]) -> Iterator[tuple[str, Path]]:
    for blob in blobs:
        yield blob["sha256"], _blob_path(backup, blob["sha256"])


def restore_backup(backup: Path, *, progress: Progress = _quiet) -> RestoreResult:
    """Restore ``backup`` into this (empty) installation, then rebuild the search index."""
    backup = backup.resolve()
    manifest = read_manifest(backup)
    problems = verify_backup(backup, manifest, progress)
    if problems:
        raise RestoreRefused("the backup is damaged or altered; nothing was restored", problems)
    check_target(manifest)
    store = blob_store()
    blobs: list[dict[str, Any]] = manifest.get("blobs", [])
    restored = 0
    if manifest["blob_store"].get("included"):
        for done, (sha256, path) in enumerate(_iter_backup_blobs(backup, blobs), start=1):
            if not store.exists(sha256):
                with path.open("rb") as stream:
                    if store.put(stream).sha256 != sha256:
                        raise IntegrityError(f"blob {sha256} changed while it was restored")
                restored += 1
            progress("blobs", done, len(blobs))
    else:
        missing = _missing_from_store(store, blobs)
        if missing:
            raise RestoreRefused(
                f"{len(missing)} blobs of the backup are not in {_public_url(store.url)} and the "
                "backup does not hold them (take backups with --include-blobs, or restore the "
                "bucket's versions first)",
                [f"blob {sha256}: not in the store" for sha256 in missing[:20]],
            )

    progress("database", 0, 1)
    database.restore(backup / manifest["database"]["file"], manifest["database"]["engine"])
    progress("database", 1, 1)
    tables = database.table_counts()
    differing = [
        f"{name}: {count} rows restored, {manifest['tables'].get(name)} in the backup"
        for name, count in tables.items()
        if manifest["tables"].get(name) != count
    ]
    if differing:
        raise BackupError("the restored database differs from the backup: " + "; ".join(differing))

    source = backup / CHECKPOINTS
    if source.is_dir():
        target = current_app.config["EDOC"].checkpoint_dir()
        target.mkdir(parents=True, exist_ok=True, mode=0o750)
        for path in sorted(source.iterdir()):
            shutil.copy2(path, target / path.name)

    upgrade()  # a backup of an older edoc is brought to this version's schema
    indexed = reindex(lambda done, total: progress("index", done, total))
    record(
        "backup.restored",
        actor=Operator.cli("edoc restore"),
        source=str(backup),
        backup_created_at=manifest.get("created_at"),
        backup_host=manifest.get("host"),
        blobs=len(blobs),
    )
    db.session.commit()
    return RestoreResult(indexed, restored, tables)
