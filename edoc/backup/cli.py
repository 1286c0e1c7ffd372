"""``edoc backup --out DIR`` and ``edoc restore DIR``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext

from edoc.backup.database import DatabaseToolError
from edoc.backup.services import (
    BackupError,
    Progress,
    RestoreRefused,
    restore_backup,
    take_backup,
)
from storage import StorageError

STEP_LABELS = {
    "database": "cơ sở dữ liệu",
    "blobs": "tệp lưu trữ",
    "verify": "kiểm tra bản sao lưu",
    "index": "chỉ mục tìm kiếm",
}


@contextmanager
def _progress_bars() -> Iterator[Progress]:
    """One progress bar per step, drawn on stderr so stdout stays the result."""
    bars: dict[str, object] = {}

    def show(step: str, done: int, total: int) -> None:
        bar = bars.get(step)
        if bar is None:
            for other in bars.values():
                other.render_finish()  # type: ignore[attr-defined]
            bar = click.progressbar(
                length=max(total, 1),
                label=STEP_LABELS.get(step, step),
                show_pos=True,
                file=sys.stderr,
            )
            bar.__enter__()
            bars[step] = bar
        bar.length = max(total, 1)  # type: ignore[attr-defined]
        bar.update(done - bar.pos)  # type: ignore[attr-defined]

    try:
        yield show
    finally:
        for bar in bars.values():
            bar.__exit__(None, None, None)  # type: ignore[attr-defined]


@click.command("backup")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A new directory for this backup, e.g. /srv/backups/edoc/2026-12-02 (blobs already "
    "in the newest backup beside it are hard-linked, not copied again).",
)
@click.option(
    "--include-blobs",
    is_flag=True,
    help="With an S3 store: copy the bucket's blobs too (by default the bucket's own "
    "versioning and object lock protect them, and only their list is recorded).",
)
@with_appcontext
def backup_command(out: Path, include_blobs: bool) -> None:
    """A consistent backup of the database, the audit checkpoints and the blobs, with a
    manifest of checksums; written to a hidden directory and renamed when complete."""
    try:
        with _progress_bars() as progress:
            result = take_backup(out, include_blobs=include_blobs, progress=progress)
    except (BackupError, DatabaseToolError, StorageError) as error:
        raise click.ClickException(f"backup failed, nothing kept: {error}") from None
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"backup written: {result.path} ({result.blobs} blobs: {result.blobs_copied} copied, "
        f"{result.blobs_linked} linked to the previous backup; manifest sha256 "
        f"{result.manifest_sha256})"
    )


@click.command("restore")
@click.argument("backup", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(backup: Path) -> None:
    """Restore BACKUP into this installation, which must be new and empty; the backup's
    checksums are verified first and the search index is rebuilt at the end."""
    try:
        with _progress_bars() as progress:
            result = restore_backup(backup, progress=progress)
    except RestoreRefused as refusal:
        for problem in refusal.problems:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException(f"restore refused: {refusal}") from None
    except (BackupError, DatabaseToolError, StorageError) as error:
        raise click.ClickException(f"restore failed: {error}") from None
    click.echo(
        f"restored {backup}: {result.tables.get('documents', 0)} documents, "
        f"{result.blobs_restored} blobs, search index rebuilt ({result.documents_indexed} "
        "documents); next: edoc fsck and edoc audit verify"
    )
