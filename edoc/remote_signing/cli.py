"""``edoc remote-signing``: give a leader a remote key, unlock one (each command commits)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from edoc.audit.services import Operator
from edoc.core.extensions import db
from edoc.remote_signing import services
from edoc.remote_signing.models import RemoteCredential
from edoc.remote_signing.providers import provider_configs
from edoc.users.services import find_user
from signing.csc.client import CSCClient


@click.group("remote-signing")
def remote_signing_group() -> None:
    """Leaders' remote signing keys (signing/REMOTE.md)."""


def _leader(username: str) -> object:
    user = find_user(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    return user


@remote_signing_group.command("add-hsm")
@click.argument("username")
@click.option("--token", "token_label", required=True, help="token label in EDOC_CSC_HSM_MODULE")
@click.option("--cert", "cert_label", required=True, help="label of the certificate and key")
@with_appcontext
def add_hsm(username: str, token_label: str, cert_label: str) -> None:
    """A key in the agency HSM for USERNAME; they enrol their phone on "Khóa ký số từ xa"."""
    credential = services.create_agency_credential(
        _leader(username),  # type: ignore[arg-type]
        token_label=token_label,
        cert_label=cert_label,
        actor=Operator.cli("edoc remote-signing add-hsm"),
    )
    db.session.commit()
    click.echo(f"credential {credential.credential_id} for {username}")


@remote_signing_group.command("add-provider")
@click.argument("username")
@click.option("--provider", required=True, help="a name in EDOC_CSC_PROVIDERS_FILE")
@click.option("--credential-id", required=True, help="the provider's credentialID")
@with_appcontext
def add_provider(username: str, provider: str, credential_id: str) -> None:
    """A key held by a commercial CSC provider; its certificate is fetched from the provider."""
    config = provider_configs().get(provider)
    if config is None:
        raise click.ClickException(f"no provider {provider} in EDOC_CSC_PROVIDERS_FILE")
    with CSCClient(config) as client:
        details = client.credential(credential_id)
    credential = services.create_provider_credential(
        _leader(username),  # type: ignore[arg-type]
        provider=provider,
        credential_id=credential_id,
        certificate=details.certificate,
        actor=Operator.cli("edoc remote-signing add-provider"),
    )
    db.session.commit()
    click.echo(f"credential {credential.credential_id} ({provider}) for {username}")


@remote_signing_group.command("unlock")
@click.argument("credential_id")
@with_appcontext
def unlock(credential_id: str) -> None:
    """Unlock a credential locked by wrong one-time codes."""
    credential = db.session.scalar(
        db.select(RemoteCredential).where(RemoteCredential.credential_id == credential_id)
    )
    if credential is None:
        raise click.ClickException(f"no credential {credential_id}")
    services.unlock(credential, Operator.cli("edoc remote-signing unlock"))
    db.session.commit()
    click.echo(f"unlocked {credential_id}")
