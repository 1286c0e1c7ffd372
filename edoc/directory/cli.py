"""``edoc directory``: the directory of agencies from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from edoc.audit.services import Operator
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.directory import services
from edoc.directory.tables import MAX_FILE_BYTES, read_table


@click.group("directory")
def directory_group() -> None:
    """Danh bạ cơ quan, tổ chức."""


@directory_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@with_appcontext
def import_command(file: Path, dry_run: bool) -> None:
    """Add and update agencies from FILE (.csv in UTF-8 or .xlsx), all rows or none.

    Exit 1 with the wrong rows (row, column, reason) when any row is refused."""
    with file.open("rb") as stream:
        data = stream.read(MAX_FILE_BYTES + 1)
    try:
        table = read_table(data, file.name)
        report = services.import_table(
            table, Operator.cli("edoc directory import"), dry_run=dry_run
        )
    except services.ImportRefused as refused:
        db.session.rollback()
        click.echo(refused.message, err=True)
        for error in refused.errors:
            click.echo(f"  dòng {error.row}, cột «{error.column}»: {error.message}", err=True)
        sys.exit(1)
    except AppError as error:
        db.session.rollback()
        click.echo(error.message, err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    counts = report.counts()
    prefix = "dry run, nothing written: would be " if dry_run else ""
    click.echo(
        f"{prefix}created {counts['created']}, updated {counts['updated']}, "
        f"unchanged {counts['unchanged']}"
    )
    for change in report.updated:
        click.echo(f"  {change.code} {change.name}: {', '.join(change.changed)}")


@directory_group.command("list")
@click.argument("query", default="")
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
@with_appcontext
def list_command(query: str, limit: int) -> None:
    """The agencies whose name or code contains QUERY (diacritics optional)."""
    total, items = services.search(query, 1, limit)
    for organization in items:
        state = "" if organization.active else "  [ngừng sử dụng]"
        click.echo(f"{organization.code}  {organization.name}{state}")
    click.echo(f"{total} agencies" + (f", first {limit} shown" if total > limit else ""))
