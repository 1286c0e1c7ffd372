"""The ``edoc`` command: Flask's CLI plus the project's own commands."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from edoc.config import ConfigError


def _create_app() -> Any:
    from edoc.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def cli() -> None:
    """edoc — quản lý văn bản và điều hành."""


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from edoc.migrate import upgrade

    upgrade(revision)
    click.echo(f"database at {revision}")


@db.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models."""
    from alembic import command

    from edoc.migrate import alembic_config

    command.revision(alembic_config(), message=message, autogenerate=True)


@cli.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check every row of the audit chain; exit 1 naming the first broken row."""
    from edoc.audit.services import verify_chain

    checked, problem = verify_chain()
    if problem is None:
        click.echo(f"audit log intact: {checked} rows verified")
        return
    where = f"row seq={problem.seq}" + (f" (id={problem.event_id})" if problem.event_id else "")
    click.echo(
        f"audit log BROKEN at {where}: {problem.reason}; {checked} rows before it are intact"
    )
    sys.exit(1)


@cli.command("serve")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option("--worker/--no-worker", default=True, help="Start a background worker beside it.")
@with_appcontext
def serve(host: str | None, port: int | None, worker: bool) -> None:
    """Serve the app with Flask's server (production: gunicorn wsgi:app + edoc worker)."""
    import subprocess

    from werkzeug.serving import run_simple

    settings = current_app.config["EDOC"]
    host = host or settings.host
    port = port or settings.port
    consumer = subprocess.Popen([sys.executable, "-m", "edoc.cli", "worker"]) if worker else None
    click.echo(f"edoc: serving on http://{host}:{port}/")
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        if consumer is not None:
            consumer.terminate()
            consumer.wait(timeout=10)


def _register_area_commands() -> None:
    from edoc.demo import demo_command
    from edoc.jobs.cli import worker_command
    from edoc.users.cli import user_group

    cli.add_command(demo_command)
    cli.add_command(user_group)
    cli.add_command(worker_command)


_register_area_commands()


def main() -> None:
    try:
        cli.main(prog_name="edoc")
    except ConfigError as error:
        click.echo(f"edoc: configuration error: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
