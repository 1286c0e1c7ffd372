"""``edoc export`` and ``edoc verify-package``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from edoc.audit.services import Operator
from edoc.extensions import db


@click.command("export")
@click.option("--dossier", "codes", multiple=True, help="Dossier code (ký hiệu); repeatable.")
@click.option(
    "--year", type=int, help="Every closed dossier of this year (or the year of --dossier)."
)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path))
@with_appcontext
def export_command(codes: tuple[str, ...], year: int | None, out: Path) -> None:
    """Export dossiers as a verifiable BagIt package at OUT (a new directory)."""
    from edoc.audit.services import record
    from edoc.dossiers.models import Dossier, DossierStatus
    from edoc.dossiers.package import export_dossiers
    from edoc.outgoing.services import agency_name

    if not codes and year is None:
        raise click.UsageError("give --dossier CODE… or --year YYYY")
    query = select(Dossier).order_by(Dossier.year, Dossier.code)
    if codes:
        query = query.where(Dossier.code.in_(codes))
    if year is not None:
        query = query.where(Dossier.year == year)
    else:
        query = query.where(Dossier.status != DossierStatus.OPEN)
    dossiers = list(db.session.scalars(query))
    missing = set(codes) - {d.code for d in dossiers}
    if missing:
        raise click.ClickException(f"no such dossier: {', '.join(sorted(missing))}")
    if out.exists():
        raise click.ClickException(f"{out} already exists; choose a new directory")
    settings = current_app.config["EDOC"]
    total = sum(len(d.entries) for d in dossiers)
    with click.progressbar(length=total, label="exporting documents") as bar:
        bag = export_dossiers(
            dossiers,
            out,
            settings.organ_id,
            agency_name(),
            progress=lambda done, _total: bar.update(done - bar.pos),
        )
    record(
        "archive.exported",
        actor=Operator.cli("edoc export"),
        details={"dossiers": [d.code for d in dossiers], "files": len(bag.payload)},
    )
    db.session.commit()
    click.echo(
        f"exported {len(dossiers)} dossiers, {len(bag.payload)} files, {bag.octets} bytes to {out}"
    )


@click.command("verify-package")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--no-revalidate", is_flag=True, help="Skip re-validating the PDF signatures.")
@with_appcontext
def verify_package_command(path: Path, no_revalidate: bool) -> None:
    """Check a package (completeness, manifests, metadata, signatures); exit 0 only if all holds."""
    from edoc.dossiers.package import verify_package

    problems = verify_package(path, revalidate=not no_revalidate)
    for problem in problems:
        click.echo(f"PROBLEM {problem.path}: {problem.reason}")
    click.echo("package intact" if not problems else f"{len(problems)} problems found")
    sys.exit(0 if not problems else 1)


@click.command("import-package")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def import_package_command(path: Path) -> None:
    """Load a verified package: its dossiers, documents and files, exactly as exported."""
    from edoc.dossiers.importer import import_package
    from edoc.errors import AppError

    try:
        dossiers = import_package(path, Operator.cli("edoc import-package"))
    except AppError as error:
        db.session.rollback()
        click.echo(f"import refused: {error.message}", err=True)
        for detail in error.details or []:
            click.echo(f"  {detail}", err=True)
        sys.exit(1)
    documents = sum(len(d.entries) for d in dossiers)
    click.echo(f"imported {len(dossiers)} dossiers, {documents} documents")
