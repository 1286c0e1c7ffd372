"""The leader enrols the phone's authenticator app from a QR code, confirmed by a code."""

from __future__ import annotations

import re

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from edoc.core.extensions import db
from edoc.remote_signing import services
from edoc.remote_signing.models import RemoteCredential
from edoc.users.models import User
from signing import pki as labels
from tests.fixtures.app import csrf_token_from, login


def _new_credential(app: Flask) -> int:
    with app.app_context():
        user = db.session.scalars(db.select(User).where(User.username == "lanhdao")).one()
        credential = services.create_agency_credential(
            user, token_label="lanh-dao", cert_label=labels.LEADER
        )
        db.session.commit()
        return credential.id


def test_enrol_with_a_qr_code_then_confirm(csc_service: Flask, client: FlaskClient) -> None:
    credential_pk = _new_credential(csc_service)
    login(client, "lanhdao")
    page = client.get("/account/remote-signing").get_data(as_text=True)
    assert "chưa đăng ký ứng dụng xác thực" in page
    token = csrf_token_from(page)
    shown = client.post(
        f"/account/remote-signing/{credential_pk}/enrol", data={"csrf_token": token}
    ).get_data(as_text=True)
    assert "<svg" in shown  # the QR code, inline
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', shown).group(1)  # type: ignore[union-attr]
    totp = pyotp.TOTP(secret)
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    refused = client.post(
        f"/account/remote-signing/{credential_pk}/confirm",
        data={"csrf_token": token, "otp": wrong},
    )
    assert refused.status_code == 422
    assert "Mã OTP không đúng" in refused.get_data(as_text=True)
    confirmed = client.post(
        f"/account/remote-signing/{credential_pk}/confirm",
        data={"csrf_token": token, "otp": totp.now()},
        follow_redirects=True,
    )
    assert "đã đăng ký ứng dụng xác thực" in confirmed.get_data(as_text=True)
    with csc_service.app_context():
        credential = db.session.get(RemoteCredential, credential_pk)
        assert credential is not None and credential.enrolled
        assert credential.failed_attempts == 0


def test_only_leaders_and_only_their_own(csc_service: Flask, client: FlaskClient) -> None:
    credential_pk = _new_credential(csc_service)
    login(client, "chuyenvien")
    assert client.get("/account/remote-signing").status_code == 403
    token = csrf_token_from(client.get("/dashboard").get_data(as_text=True))
    answer = client.post(
        f"/account/remote-signing/{credential_pk}/enrol", data={"csrf_token": token}
    )
    assert answer.status_code == 403
