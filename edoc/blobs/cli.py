"""``edoc fsck``, ``edoc gc`` and ``edoc storage copy``: the database and the blob store agree."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from edoc.audit.services import Operator, record
from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.documents import preview
from edoc.documents.models import DocumentFile
from edoc.exchange.retention import kept_packages
from edoc.outgoing.models import DraftVersion
from edoc.search.models import TextExtract
from storage import BlobNotFound, IntegrityError, copy_all, open_store


def referenced_blobs() -> set[str]:
    """Every blob address a database row points to (exchange packages: those still kept,
    :mod:`edoc.exchange.retention`)."""
    columns = [
        DocumentFile.sha256,
        DraftVersion.sha256,
        DraftVersion.source_sha256,
        TextExtract.ocr_sha256,
    ]
    found: set[str] = set()
    for column in columns:
        found.update(value for value in db.session.scalars(select(column).distinct()) if value)
    return found | kept_packages()


@dataclass
class FsckReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    recent_unreferenced: int = 0  # uploads still within the grace period

    @property
    def healthy(self) -> bool:
        return not (self.missing or self.corrupt or self.orphaned)


def fsck(grace: timedelta) -> FsckReport:
    store = blob_store()
    report = FsckReport()
    referenced = referenced_blobs()
    for sha256 in sorted(referenced):
        report.checked += 1
        try:
            store.verify(sha256)
        except BlobNotFound:
            report.missing.append(sha256)
        except IntegrityError:
            report.corrupt.append(sha256)
    cutoff = datetime.now(UTC) - grace
    for blob in store.iter_blobs():
        if blob.sha256 in referenced:
            continue
        if blob.modified > cutoff:
            report.recent_unreferenced += 1
        else:
            report.orphaned.append(blob.sha256)
    return report


@click.command("fsck")
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--grace-hours",
    default=24,
    show_default=True,
    help="Unreferenced blobs younger than this are uploads in progress, not orphans.",
)
@with_appcontext
def fsck_command(as_json: bool, grace_hours: int) -> None:
    """Compare the database with the blob store; exit 0 only when all is well."""
    report = fsck(timedelta(hours=grace_hours))
    if as_json:
        click.echo(json.dumps({**asdict(report), "healthy": report.healthy}, indent=2))
    else:
        click.echo(f"checked {report.checked} referenced blobs")
        for label, items in (
            ("MISSING", report.missing),
            ("CORRUPT", report.corrupt),
            ("ORPHANED", report.orphaned),
        ):
            for sha256 in items:
                click.echo(f"{label} {sha256}")
        if report.recent_unreferenced:
            click.echo(f"{report.recent_unreferenced} recent unreferenced uploads (kept)")
        click.echo("all well" if report.healthy else "PROBLEMS FOUND")
    sys.exit(0 if report.healthy else 1)


@click.command("gc")
@click.option("--grace-hours", default=24, show_default=True)
@click.option(
    "--page-days",
    default=30,
    show_default=True,
    help="Cached page images not read for this many days are removed.",
)
@click.option("--dry-run", is_flag=True)
@with_appcontext
def gc_command(grace_hours: int, page_days: int, dry_run: bool) -> None:
    """Delete orphaned blobs (no row refers to them and they are older than the grace period),
    the cached page images of those blobs and cached pages nobody has read for a while."""
    report = fsck(timedelta(hours=grace_hours))
    store = blob_store()
    referenced = referenced_blobs()  # read again just before deleting
    removed: list[str] = []
    for sha256 in report.orphaned:
        if sha256 in referenced:
            continue
        if not dry_run:
            store.delete(sha256, unreferenced=True)
        removed.append(sha256)
    if not dry_run and removed:
        record("storage.gc", actor=Operator.cli("edoc gc"), removed=len(removed))
        db.session.commit()
    click.echo(f"{'would remove' if dry_run else 'removed'} {len(removed)} orphaned blobs")
    if not dry_run:
        pages = preview.drop_pages(removed) + preview.drop_stale_pages(timedelta(days=page_days))
        click.echo(f"removed {pages} cached page images")


@click.group("storage")
def storage_group() -> None:
    """The blob store."""


@storage_group.command("copy")
@click.option("--to", "target_url", required=True, help="file:///… or s3://bucket?endpoint=…")
@with_appcontext
def storage_copy(target_url: str) -> None:
    """Copy every blob to another backend, verified; run again to resume."""
    target = open_store(
        target_url,
        access_key=os.environ.get("EDOC_S3_ACCESS_KEY", ""),
        secret_key=os.environ.get("EDOC_S3_SECRET_KEY", ""),
    )
    with click.progressbar(length=0, label="copying blobs", show_pos=True) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        result = copy_all(blob_store(), target, progress=progress)
    click.echo(f"copied {result.copied}, already there {result.skipped}")
    if result.corrupt:
        for sha256 in result.corrupt:
            click.echo(f"CORRUPT in source, not copied: {sha256}")
        sys.exit(1)
