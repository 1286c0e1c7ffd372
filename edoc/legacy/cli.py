"""``edoc import-legacy``: an old system's registers and files, checked (``--dry-run``) and
brought in, resumable."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from edoc.audit.services import Operator
from edoc.core.errors import AppError
from edoc.legacy.edxml import import_edxml_folder
from edoc.legacy.services import BATCH_ROWS, report_dir, run_import


@click.command("import-legacy")
@click.option(
    "--registers",
    "registers",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A register exported as XLSX or CSV (repeat for each).",
)
@click.option(
    "--files",
    "files_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder holding the files the registers name.",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML file naming the columns (otherwise guessed from the headers).",
)
@click.option(
    "--edxml",
    "edxml_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of .edxml packages exported by another system.",
)
@click.option("--dry-run", is_flag=True, help="Check and report only; write nothing.")
@click.option("--update", is_flag=True, help="Correct documents whose register row changed.")
@click.option(
    "--batch",
    "batch_rows",
    default=BATCH_ROWS,
    show_default=True,
    type=click.IntRange(1, 10000),
    help="Rows per transaction.",
)
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@with_appcontext
def import_legacy_command(
    registers: tuple[Path, ...],
    files_dir: Path | None,
    edxml_dir: Path | None,
    mapping: Path | None,
    dry_run: bool,
    update: bool,
    report_dir: Path | None,
    batch_rows: int,
) -> None:
    """Bring an old e-office system's registers (văn bản đến/đi) and their files into edoc.

    Historic numbers are kept; clashes and every problem row are reported, never guessed.
    Stopping half-way and running again completes the import; a second run changes nothing.
    """
    actor = Operator.cli("edoc import-legacy" + (" --dry-run" if dry_run else ""))
    if edxml_dir is not None:
        if dry_run:
            raise click.UsageError("--dry-run applies to registers, not to --edxml")
        click.echo(import_edxml_folder(edxml_dir, actor).readable())
        if not registers:
            return
    if not registers or files_dir is None:
        raise click.UsageError("give --registers FILE… and --files DIR (or --edxml DIR)")

    def show(done: int, source: str) -> None:
        click.echo(f"  {source}: {done} dòng", err=True)

    try:
        report = run_import(
            list(registers),
            files_dir,
            actor,
            mapping_path=mapping,
            dry_run=dry_run,
            update=update,
            progress=show,
            batch_rows=batch_rows,
        )
    except AppError as error:
        raise click.ClickException(error.message) from None
    json_path, text_path = report.save(report_dir or report_dir_default())
    click.echo(report.readable())
    click.echo(f"báo cáo: {text_path}\nJSON: {json_path}")


def report_dir_default() -> Path:
    return report_dir(current_app.config["EDOC"].data_dir)
