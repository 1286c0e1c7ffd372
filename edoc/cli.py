"""The ``edoc`` command: Flask's CLI plus the project's own commands."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from edoc.app import create_app
from edoc.audit.checkpoints import (
    LegacyRowsPresent,
    agency_checkpoint_signer,
    legacy_row_count,
    take_checkpoint,
    verify_checkpoints,
    write_checkpoint,
)
from edoc.audit.services import Operator, rekey, verify_chain
from edoc.backup.cli import backup_command, restore_command
from edoc.blobs.cli import fsck_command, gc_command, storage_group
from edoc.config import ConfigError
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.core.migrate import alembic_config, upgrade
from edoc.core.serving import ConcurrencyLimit, serve_threads, serve_wait
from edoc.demo.command import demo_command
from edoc.demo.keys import start_leader_agent
from edoc.directory.cli import directory_group
from edoc.dossiers.cli import export_command, import_package_command, verify_package_command
from edoc.exchange.cli import exchange_group
from edoc.integrations.cli import webhooks_group
from edoc.jobs.cli import worker_command
from edoc.legacy.cli import import_legacy_command
from edoc.notifications.cli import notifications_group
from edoc.remote_signing.cli import remote_signing_group
from edoc.search.backend import index_outdated
from edoc.search.cli import reindex_command, reindex_with_progress, search_status_command
from edoc.users.cli import user_group
from signing.cli_verify import parse_moment, run_verify


def _create_app() -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def cli() -> None:
    """edoc — quản lý văn bản và điều hành."""


@cli.group("db")
def database() -> None:
    """Database schema."""


@database.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head), then rebuild the search index if it
    was built by another version of edoc."""
    upgrade(revision)
    click.echo(f"database at {revision}")
    if legacy_row_count():  # an audit log begun before the audit key: checked, then re-sealed
        _rekey_legacy_chain("edoc db upgrade")
    if not index_outdated():
        return
    count = reindex_with_progress("Lập lại chỉ mục tìm kiếm")
    click.echo(f"search index rebuilt for this version: {count} documents")


@database.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models."""
    command.revision(alembic_config(), message=message, autogenerate=True)


@cli.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check every row's keyed hash and every signed checkpoint; exit 1 naming what broke."""
    checked, problem = verify_chain()
    anchors = verify_checkpoints()
    if problem is None and not anchors.problems:
        click.echo(
            f"audit log intact: {checked} rows verified, "
            f"{anchors.checked} signed checkpoints match (last at seq {anchors.last_seq})"
        )
        if not anchors.checked:
            click.echo("warning: no checkpoint yet: run `edoc audit checkpoint`")
        return
    if problem is not None:
        where = f"row seq={problem.seq}" + (f" (id={problem.event_id})" if problem.event_id else "")
        click.echo(
            f"audit log BROKEN at {where}: {problem.reason}; {checked} rows before it are intact"
        )
    for anchor in anchors.problems:
        click.echo(f"audit log BROKEN: {anchor.reason}")
    sys.exit(1)


@audit.command("checkpoint")
@with_appcontext
def audit_checkpoint() -> None:
    """Sign the chain's head with the agency key and write it outside the database."""
    try:
        path = take_checkpoint(agency_checkpoint_signer(), Operator.cli("edoc audit checkpoint"))
    except (AppError, LegacyRowsPresent) as error:
        raise click.ClickException(str(getattr(error, "message", error))) from None
    click.echo(f"checkpoint written: {path}" if path else "no new audit rows since the last one")


@audit.command("rekey")
@with_appcontext
def audit_rekey() -> None:
    """Once, after upgrading: check the pre-key chain, re-seal it with the audit key and anchor
    its old head in a signed checkpoint (``edoc db upgrade`` does it by itself)."""
    _rekey_legacy_chain("edoc audit rekey")


def _rekey_legacy_chain(command_line: str) -> None:
    try:
        signer = agency_checkpoint_signer()
    except AppError as error:
        signer = None
        click.echo(f"warning: {error.message} The old head is kept in the audit log only.")
    try:
        done = rekey(Operator.cli(command_line))
    except ValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()  # re-sealed for good before the slow signing of the checkpoint
    legacy = {"seq": done.legacy_seq, "sha256_head": done.legacy_head}
    path = write_checkpoint(signer, legacy=legacy) if signer else None
    click.echo(
        f"audit log re-sealed with the audit key: {done.rows} rows "
        f"(old chain: {done.legacy_seq} rows, head {done.legacy_head})"
        + (f"; checkpoint {path}" if path else "")
    )


@cli.command("verify-pdf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--at", "at", default=None, help="Validate as of this ISO 8601 time.")
@click.option("--trust", multiple=True, type=click.Path(exists=True, path_type=Path))
@click.option("--timeout", default=60.0, show_default=True)
@with_appcontext
def verify_pdf(
    file: Path, as_json: bool, at: str | None, trust: tuple[Path, ...], timeout: float
) -> None:
    """Validate FILE's signatures (trusting EDOC_TRUST_DIR unless --trust is given).

    Exit 0: all intact, valid, trusted, only allowed changes; 1: not so; 2: not a readable PDF.
    """
    roots = list(trust) or current_app.config["EDOC"].trust_roots()
    sys.exit(run_verify(file, as_json, parse_moment(at), roots, timeout))


@cli.command("serve")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--worker/--no-worker", default=True, help="Start a background worker beside it.")
@click.option(
    "--signer/--no-signer",
    default=True,
    help="Start edoc-signer on the demo leader's token, when `edoc demo` made one.",
)
@with_appcontext
def serve(host: str | None, port: int | None, worker: bool, signer: bool) -> None:
    """Serve the app with Flask's server (production: gunicorn wsgi:app + edoc worker)."""
    settings = current_app.config["EDOC"]
    host = host or settings.host
    port = port or settings.port
    consumer = subprocess.Popen([sys.executable, "-m", "edoc.cli", "worker"]) if worker else None
    agent = None
    if signer:  # the demo leader's "USB token" (SoftHSM), so the Ký số page works out of the box
        agent = start_leader_agent(settings.data_dir, host, port, settings.signer_url)
    click.echo(f"edoc: serving on http://{host}:{port}/")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so the children are stopped too
    try:
        # As many requests at once as gunicorn's threads per worker, fewer than the
        # database pool's 15 connections; the rest wait for a slot (see core/serving.py).
        served = ConcurrencyLimit(
            current_app._get_current_object(), serve_threads(), wait_seconds=serve_wait()
        )
        run_simple(host, port, served, threaded=True)
    finally:
        for child in (consumer, agent):
            if child is not None:
                child.terminate()
                child.wait(timeout=10)


for area_command in (
    demo_command,
    backup_command,
    restore_command,
    user_group,
    remote_signing_group,
    directory_group,
    worker_command,
    fsck_command,
    gc_command,
    storage_group,
    export_command,
    verify_package_command,
    import_package_command,
    import_legacy_command,
    reindex_command,
    search_status_command,
    exchange_group,
    webhooks_group,
    notifications_group,
):
    cli.add_command(area_command)


def main() -> None:
    try:
        cli.main(prog_name="edoc")
    except ConfigError as error:
        click.echo(f"edoc: configuration error: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
