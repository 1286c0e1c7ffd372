"""The leader's batch signed with a remote key: the agent's flow with a provider for the agent.

:func:`edoc.outgoing.signing.prepare_batch` prepares every ticked draft for the credential's
certificate (same ND30 appearance, same number and date fields, same check that the version
signed is the version read); the provider signs the digests after one authorisation (one OTP
for the whole batch); :func:`edoc.outgoing.signing.finish_batch` embeds each signature,
validates the result and only then makes it the document's file. The server never holds the
leader's key: it stays in the HSM or at the provider.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Flask, g

from edoc.audit.services import record
from edoc.core.extensions import db
from edoc.outgoing import signing as outgoing_signing
from edoc.remote_signing import services
from edoc.remote_signing.models import RemoteCredential
from edoc.remote_signing.providers import provider_for
from edoc.users.models import User


def sign_batch(
    document_ids: list[int],
    read_versions: dict[int, str],
    credential_pk: int,
    otp: str | None,
    leader: User,
) -> dict[str, Any]:
    credential = services.get_credential(credential_pk, leader)
    provider = provider_for(credential)
    credential_id = credential.credential_id
    digests = outgoing_signing.prepare_batch(
        document_ids, credential.certificate, leader, read_versions=read_versions
    )
    db.session.commit()
    credential = services.get_credential(credential_pk, leader)
    signatures = provider.sign(credential, leader, [d.digest for d in digests], otp)
    result = outgoing_signing.finish_batch(
        {
            f"sr-{d.request_id}": base64.b64encode(signature).decode("ascii")
            for d, signature in zip(digests, signatures, strict=True)
        },
        leader,
    )
    record(
        "remote_signing.batch_signed",
        actor=leader,
        object_type="remote_credential",
        object_id=credential_pk,
        credential=credential_id,
        signed=result["signed"],
        failed=len(result["failed"]),
    )
    db.session.commit()
    return result


def remote_credentials(user: User) -> list[RemoteCredential]:
    """The signing page's choice of remote keys (none for a user who is not signed in)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = g.get("remote_credentials")
    if cached is None:
        cached = g.remote_credentials = services.credentials_of(user)
    return cached


def init_remote_signing(app: Flask) -> None:
    """Templates (the outgoing signing page) ask for the leader's remote keys by this name,
    so the outgoing area need not import this one."""
    app.jinja_env.globals["remote_credentials"] = remote_credentials
