"""``edoc export`` and ``edoc verify-package``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from edoc.audit.services import Operator, record, record_security_event
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.documents.agency import agency_name
from edoc.dossiers.importer import import_package
from edoc.dossiers.models import Dossier, DossierStatus
from edoc.dossiers.package import PackageError, export_dossiers, verify_package
from edoc.dossiers.services import check_may_export
from edoc.users.models import User


@click.command("export")
@click.option("--dossier", "codes", multiple=True, help="Dossier code (ký hiệu); repeatable.")
@click.option(
    "--year", type=int, help="Every closed dossier of this year (or the year of --dossier)."
)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path))
@click.option(
    "--as",
    "username",
    required=True,
    help="The archivist the package is made for: their role and clearance apply, and the "
    "export is recorded under their name.",
)
@with_appcontext
def export_command(codes: tuple[str, ...], year: int | None, out: Path, username: str) -> None:
    """Export closed dossiers as a verifiable BagIt package at OUT (a new directory).

    The command runs without a web session, yet a package may hold secret documents: it is made
    for a named archivist (``--as``), whose role and clearance are checked exactly as on the web
    page, and the audit log records the export under that user. Whoever can run the command can
    read the server anyway; what this prevents is a package handed to someone who may not see
    its contents, and an export nobody answers for.
    """

    if not codes and year is None:
        raise click.UsageError("give --dossier CODE… or --year YYYY")
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no such user: {username}")
    query = (
        select(Dossier)
        .where(Dossier.status != DossierStatus.OPEN)
        .order_by(Dossier.year, Dossier.code)
    )
    if codes:
        query = query.where(Dossier.code.in_(codes))
    if year is not None:
        query = query.where(Dossier.year == year)
    dossiers = list(db.session.scalars(query))
    missing = set(codes) - {d.code for d in dossiers}
    if missing:
        raise click.ClickException(f"no such closed dossier: {', '.join(sorted(missing))}")
    if out.exists():
        raise click.ClickException(f"{out} already exists; choose a new directory")
    try:
        check_may_export(dossiers, user)
    except AppError as error:
        record_security_event(
            "archive.export_refused",
            dossiers=[d.code for d in dossiers],
            reason=error.code,
            actor=Operator.cli("edoc export", on_behalf_of=user),
        )
        raise click.ClickException(f"export refused: {error.message}") from None
    settings = current_app.config["EDOC"]
    total = sum(len(d.entries) for d in dossiers)
    try:
        with click.progressbar(length=total, label="exporting documents") as bar:
            bag = export_dossiers(
                dossiers,
                out,
                settings.organ_id,
                agency_name(),
                progress=lambda done, _total: bar.update(done - bar.pos),
            )
    except (AppError, OSError) as error:
        message = error.message if isinstance(error, AppError) else str(error)
        raise click.ClickException(f"export failed, nothing written to {out}: {message}") from None
    record(
        "archive.exported",
        actor=Operator.cli("edoc export", on_behalf_of=user),
        dossiers=[d.code for d in dossiers],
        files=len(bag.payload),
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

    try:
        dossiers = import_package(path, Operator.cli("edoc import-package"))
    except AppError as error:  # nothing is committed: the session ends with the command
        click.echo(f"import refused: {error.message}", err=True)
        for detail in error.details or []:
            click.echo(f"  {detail}", err=True)
        sys.exit(1)
    except (PackageError, OSError) as error:  # the package changed while it was being read
        click.echo(f"import refused: {error}", err=True)
        sys.exit(1)
    db.session.commit()
    documents = sum(len(d.entries) for d in dossiers)
    click.echo(f"imported {len(dossiers)} dossiers, {documents} documents")
