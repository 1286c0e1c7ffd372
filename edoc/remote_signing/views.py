"""The leader's remote keys in the browser: enrol the phone's authenticator app by QR code."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from edoc.core.auth import Role, roles_required
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.remote_signing import services

bp = Blueprint("remote_signing", __name__)


@bp.route("/account/remote-signing")
@roles_required(Role.LEADER)
def credentials_page() -> Any:
    """The leader's remote keys; the QR code is shown only right after a new seed is made."""
    return render_template(
        "remote_signing/credentials.html",
        credentials=services.credentials_of(current_user),
        enrolling=None,
        errors={},
    )


@bp.route("/account/remote-signing/<int:credential_pk>/enrol", methods=["POST"])
@roles_required(Role.LEADER)
def enrol(credential_pk: int) -> Any:
    credential = services.get_credential(credential_pk, current_user)
    try:
        services.start_enrolment(credential, current_user)
    except AppError as error:
        flash(error.message, "error")
        return redirect(url_for("remote_signing.credentials_page"))
    db.session.commit()
    return _enrolment_page(credential_pk, {})


def _enrolment_page(credential_pk: int, errors: dict[str, str], status: int = 200) -> Any:
    credential = services.get_credential(credential_pk, current_user)
    uri = services.provisioning_uri(credential)
    return (
        render_template(
            "remote_signing/credentials.html",
            credentials=services.credentials_of(current_user),
            enrolling=credential,
            secret=services.totp_seed(credential),
            qr=services.qr_svg(uri),
            errors=errors,
        ),
        status,
    )


@bp.route("/account/remote-signing/<int:credential_pk>/confirm", methods=["POST"])
@roles_required(Role.LEADER)
def confirm(credential_pk: int) -> Any:
    credential = services.get_credential(credential_pk, current_user)
    try:
        services.confirm_enrolment(credential, current_user, request.form.get("otp", ""))
    except AppError as error:
        if services.get_credential(credential_pk, current_user).locked:
            flash(error.message, "error")
            return redirect(url_for("remote_signing.credentials_page"))
        return _enrolment_page(credential_pk, {"otp": error.message}, 422)
    db.session.commit()
    flash(
        _("Đã đăng ký ứng dụng xác thực; từ nay ký từ xa bằng mã OTP trên điện thoại."), "success"
    )
    return redirect(url_for("remote_signing.credentials_page"))
