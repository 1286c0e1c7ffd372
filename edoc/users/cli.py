"""``edoc user``: accounts from the command line (each command commits what it did)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from edoc.audit.services import Operator
from edoc.core.extensions import db
from edoc.users.models import Clearance, Role
from edoc.users.services import create_user, find_user, unlock_user


@click.group("user")
def user_group() -> None:
    """Accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--full-name", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]))
@click.option("--clearance", type=click.IntRange(0, 3), default=0)
@click.password_option()
@with_appcontext
def create(
    username: str, full_name: str, roles: tuple[str, ...], clearance: int, password: str
) -> None:
    """Create a user (the password is prompted, never an argument in shell history)."""
    user = create_user(
        username=username,
        full_name=full_name,
        password=password,
        roles=roles,
        clearance=Clearance(clearance),
        actor=Operator.cli("edoc user create"),
    )
    db.session.commit()
    click.echo(f"created user {user.username} (id {user.id})")


@user_group.command("unlock")
@click.argument("username")
@with_appcontext
def unlock(username: str) -> None:
    """Lift a lock-out after repeated failed logins."""
    user = find_user(username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    unlock_user(user.id, actor=Operator.cli("edoc user unlock"))
    db.session.commit()
    click.echo(f"unlocked {user.username}")
