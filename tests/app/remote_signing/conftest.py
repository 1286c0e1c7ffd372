"""The agency's CSC service on a live loopback server, with the leader's key in SoftHSM2."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import pyotp
import pytest
from flask import Flask

from edoc.core.extensions import db
from edoc.remote_signing import services
from edoc.users.models import User
from signing import pki as labels
from tests.fixtures.pki import Tokens


@dataclass(frozen=True)
class RemoteLeader:
    credential_id: str
    credential_pk: int
    totp_secret: str

    def code(self, at: float | None = None) -> str:
        totp = pyotp.TOTP(self.totp_secret)
        return totp.at(at) if at is not None else totp.now()


def enable_service(app: Flask, tokens: Tokens, monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn the service on over plain HTTP (loopback test) with the session's SoftHSM2 store."""
    app.config["EDOC"] = dataclasses.replace(
        app.config["EDOC"],
        csc_service=True,
        csc_require_https=False,
        csc_hsm_module=tokens.module,
        csc_otp_attempts=3,
    )
    monkeypatch.setenv("EDOC_CSC_HSM_PIN", tokens.leader_pin)


def give_credential(
    app: Flask, username: str = "lanhdao", cert_label: str = labels.LEADER
) -> RemoteLeader:
    """A remote credential on the leader's HSM token, enrolled with a fresh TOTP seed (the
    first code confirmed a step back, so the current code is still unused)."""
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.username == username)).one()
        credential = services.create_agency_credential(
            user, token_label="lanh-dao", cert_label=cert_label
        )
        secret = services.start_enrolment(credential, user)
        db.session.commit()
        services.confirm_enrolment(credential, user, pyotp.TOTP(secret).at(time.time() - 30))
        db.session.commit()
        return RemoteLeader(credential.credential_id, credential.id, secret)


@pytest.fixture
def csc_service(
    trusted_app: Flask,
    demo: None,
    softhsm_tokens: Tokens,
    monkeypatch: pytest.MonkeyPatch,
) -> Flask:
    enable_service(trusted_app, softhsm_tokens, monkeypatch)
    return trusted_app
