"""The agency's remote-signing service: credentials, TOTP second factor, SADs, signing hashes.

One way in for each write: the CSC endpoints (``csc_api``) and the leader's signing page (through
:mod:`edoc.remote_signing.providers`) both call :func:`authorize` and :func:`sign_hashes`, so a
batch signed from the page obeys exactly the rules a third-party CSC client meets.

Order of checks, as for a token PIN: everything that needs no second factor first (the
credential is the caller's and active, its certificate in date, for signing, trusted and not
revoked), then the one-time code, counted when wrong and locking the credential at the limit.
Codes are compared and forgotten: never stored, logged or put in an audit entry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyotp
import segno
from asn1crypto import x509
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from edoc.audit.services import Actor, record, record_security_event
from edoc.config import Settings
from edoc.core.agency_key import trusted_certificates
from edoc.core.auth import Role
from edoc.core.clock import utcnow
from edoc.core.errors import AppError, Conflict, Forbidden, NotFound, ServiceUnavailable
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.remote_signing import seeds
from edoc.remote_signing.models import AGENCY_PROVIDER, RemoteActivation, RemoteCredential
from edoc.users.models import User
from signing.csc.activation import ActivationRefused, check_hashes, open_sad, seal_sad
from signing.csc.keys import (
    CertificateRevoked,
    HsmKey,
    RevocationUnavailable,
    check_not_revoked,
)
from signing.csc.protocol import (
    AuthorizeRequest,
    CSCError,
    SignHashRequest,
    check_sign_algorithm,
)
from signing.errors import TokenError

ISSUER = "edoc"
OTP_WINDOW = 1  # one 30-second step either side: a phone clock a little off still works


class RemoteSigningRefused(AppError):
    """A refusal of the signing service; ``code`` is also the CSC ``error``."""

    status = 400


def settings() -> Settings:
    return current_app.config["EDOC"]


def _sad_key() -> bytes:
    """The key sealing SADs, derived from the application secret (never stored apart)."""
    return hmac.new(settings().secret_key.encode(), b"edoc csc sad v1", hashlib.sha256).digest()


#: Where the HSM is when EDOC_CSC_HSM_MODULE is unset: ``<data dir>/remote_signing_hsm.json``,
#: a JSON object with ``module``, ``pin_file``, (SoftHSM2 only) ``softhsm2_conf`` and
#: optionally ``revocation`` (``soft`` in the demo's); the demo writes one. Read at each use,
#: like the agency token's file.
HSM_FILE = "remote_signing_hsm.json"


@dataclass(frozen=True)
class HsmSettings:
    module: str
    pin_file: Path | None = None
    softhsm2_conf: Path | None = None
    revocation: str = ""


def hsm_settings() -> HsmSettings | None:
    config = settings()
    if config.csc_hsm_module:
        return HsmSettings(config.csc_hsm_module, config.csc_hsm_pin_file)
    path = config.data_dir / HSM_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return HsmSettings(
            str(data["module"]),
            Path(data["pin_file"]) if data.get("pin_file") else None,
            Path(data["softhsm2_conf"]) if data.get("softhsm2_conf") else None,
            str(data.get("revocation") or ""),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ServiceUnavailable(
            "hsm_file", _("Tệp cấu hình HSM ký từ xa không hợp lệ: %(e)s", e=error)
        ) from error


def revocation_mode() -> str:
    """``hard`` or ``soft`` (EDOC_CSC_REVOCATION): set, it rules; unset, hard — except where
    the demo's HSM file (no EDOC_CSC_HSM_MODULE) says soft, its OCSP responder being gone."""
    configured = settings().csc_revocation
    if configured:
        return configured
    found = hsm_settings()
    return "soft" if found is not None and found.revocation == "soft" else "hard"


def _use_softhsm2_conf(module_path: str, conf: Path) -> None:
    """SoftHSM2 reads its configuration when the module loads: reload it on another store."""
    import pkcs11  # only a process that talks to the HSM loads python-pkcs11

    if os.environ.get("SOFTHSM2_CONF") != str(conf):
        pkcs11.unload(module_path)
    os.environ["SOFTHSM2_CONF"] = str(conf)


def _hsm_pin() -> str:
    """The HSM user PIN, read at each batch and held only for the login."""
    found = hsm_settings()
    if found is not None and found.pin_file is not None:
        return found.pin_file.read_text(encoding="utf-8").strip()
    pin = os.environ.get("EDOC_CSC_HSM_PIN")
    if not pin:
        raise ServiceUnavailable(
            "hsm_pin_missing", _("Chưa cấu hình mã PIN của HSM ký từ xa (EDOC_CSC_HSM_PIN).")
        )
    return pin


def hsm_key(credential: RemoteCredential) -> HsmKey:
    return _hsm_key(credential.token_label, credential.cert_label)


def _hsm_key(token_label: str, cert_label: str) -> HsmKey:
    found = hsm_settings()
    if found is None:
        raise ServiceUnavailable(
            "hsm_missing", _("Chưa cấu hình HSM của dịch vụ ký từ xa (EDOC_CSC_HSM_MODULE).")
        )
    if found.softhsm2_conf is not None:
        _use_softhsm2_conf(found.module, found.softhsm2_conf)
    return HsmKey(found.module, token_label, cert_label)


def _audit(action: str, actor: Actor, credential: RemoteCredential, **details: object) -> None:
    record(
        action,
        actor=actor,
        object_type="remote_credential",
        object_id=credential.id,
        credential=credential.credential_id,
        **details,
    )


def _refuse(
    actor: User, credential: RemoteCredential | None, code: str, message: str, status: int = 400
) -> RemoteSigningRefused:
    """Audit a refusal in its own transaction (kept though the request fails) and return it."""
    details: dict[str, object] = {"reason": code}
    if credential is not None:
        details.update(
            object_type="remote_credential",
            object_id=credential.id,
            credential=credential.credential_id,
        )
    record_security_event("remote_signing.refused", actor=actor, **details)
    return RemoteSigningRefused(code, message, status)


# --------------------------------------------------------------------------- credentials


def create_agency_credential(
    user: User,
    *,
    token_label: str,
    cert_label: str,
    actor: Actor | None = None,
    description: str = "",
) -> RemoteCredential:
    """A credential for ``user`` whose key is the object ``cert_label`` on the HSM token
    ``token_label``; the certificate is read from the HSM (no PIN) and checked usable."""
    if not user.has_role(Role.LEADER):
        raise Conflict("not_leader", _("Chỉ lãnh đạo được cấp khóa ký từ xa."))
    key = _hsm_key(token_label, cert_label)
    try:
        with outside_transaction():
            certificate = key.certificate()
    except TokenError as error:
        raise Conflict(
            "hsm_certificate", _("Không dùng được chứng thư trên HSM: %(e)s", e=str(error))
        ) from error
    credential = RemoteCredential(
        credential_id="edoc-" + secrets.token_urlsafe(12),
        user_id=user.id,
        provider=AGENCY_PROVIDER,
        description=description or certificate.common_name,
        token_label=token_label,
        cert_label=cert_label,
        certificate=certificate.der,
    )
    db.session.add(credential)
    db.session.flush()
    _audit(
        "remote_signing.credential_created",
        actor or user,
        credential,
        user_id=user.id,
        serial=certificate.serial,
    )
    return credential


def credentials_of(user: User) -> list[RemoteCredential]:
    return list(
        db.session.scalars(
            select(RemoteCredential)
            .where(RemoteCredential.user_id == user.id, RemoteCredential.active.is_(True))
            .order_by(RemoteCredential.id)
        )
    )


def credential_for(user: User, credential_id: str) -> RemoteCredential:
    """The caller's own active credential of that id; anyone else's is simply not found."""
    credential = db.session.scalar(
        select(RemoteCredential).where(RemoteCredential.credential_id == credential_id)
    )
    if credential is None or credential.user_id != user.id or not credential.active:
        raise RemoteSigningRefused("invalid_request", _("Không có khóa ký từ xa này."), status=404)
    return credential


def get_credential(credential_pk: int, user: User) -> RemoteCredential:
    credential = db.session.get(RemoteCredential, credential_pk)
    if credential is None or credential.user_id != user.id or not credential.active:
        raise NotFound("not_found", _("Không có khóa ký từ xa này."))
    return credential


# --------------------------------------------------------------------------- TOTP


def _store_seed(credential: RemoteCredential, seed: str) -> None:
    credential.totp_seed_sealed = seeds.seal(
        settings().csc_seed_key_material(), credential.credential_id, seed
    )


def totp_seed(credential: RemoteCredential) -> str:
    """The credential's seed, opened; a plaintext row from before sealing is sealed now.

    A seed that does not open (another installation's key, a row moved) is an error for the
    administrator, not a wrong code: the leader re-enrols."""
    stored = credential.totp_seed_sealed
    assert stored is not None
    if not seeds.is_sealed(stored):
        _store_seed(credential, stored)
        return stored
    try:
        return seeds.open_seed(settings().csc_seed_key_material(), credential.credential_id, stored)
    except seeds.SeedUnreadable as error:
        raise Conflict(
            "seed_unreadable",
            _(
                "Không đọc được khóa bí mật của ứng dụng xác thực (khóa mã hóa đã đổi?); "
                "hãy đăng ký lại ứng dụng xác thực."
            ),
        ) from error


def start_enrolment(credential: RemoteCredential, user: User) -> str:
    """A new TOTP seed for the leader's authenticator app; codes count only once confirmed.

    Re-enrolling (a new phone) replaces the seed; a locked credential needs an administrator."""
    if credential.locked:
        raise Forbidden("credential_locked", _("Khóa ký từ xa đang bị khóa; liên hệ quản trị."))
    seed = pyotp.random_base32()
    _store_seed(credential, seed)
    credential.totp_confirmed_at = None
    credential.last_otp_step = 0
    _audit("remote_signing.enrolment_started", user, credential)
    return seed


def provisioning_uri(credential: RemoteCredential) -> str:
    """The ``otpauth://`` address the authenticator app reads from the QR code."""
    return pyotp.TOTP(totp_seed(credential)).provisioning_uri(
        name=credential.user.username, issuer_name=f"{ISSUER} ({credential.credential_id})"
    )


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG (no image file, no external service)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def confirm_enrolment(credential: RemoteCredential, user: User, code: str) -> None:
    if credential.totp_seed_sealed is None:
        raise Conflict("not_enrolling", _("Hãy bắt đầu đăng ký ứng dụng xác thực trước."))
    check_otp(credential, user, code, enrolling=True)
    credential.totp_confirmed_at = utcnow()
    _audit("remote_signing.enrolled", user, credential)


def create_provider_credential(
    user: User, *, provider: str, credential_id: str, certificate: bytes, actor: Actor
) -> RemoteCredential:
    """A credential held by a commercial CSC provider (its id there, its certificate as the
    provider's ``credentials/info`` gave it); the second factor is the provider's."""
    if not user.has_role(Role.LEADER):
        raise Conflict("not_leader", _("Chỉ lãnh đạo được cấp khóa ký từ xa."))
    leaf = x509.Certificate.load(certificate)
    credential = RemoteCredential(
        credential_id=credential_id,
        user_id=user.id,
        provider=provider,
        description=str(leaf.subject.native.get("common_name", credential_id)),
        certificate=certificate,
        totp_confirmed_at=utcnow(),  # the provider's own second factor
    )
    db.session.add(credential)
    db.session.flush()
    _audit("remote_signing.credential_created", actor, credential, user_id=user.id)
    return credential


def unlock(credential: RemoteCredential, actor: Actor) -> None:
    """After wrong codes locked it (an administrator's command, like a token's PUK)."""
    credential.locked_at, credential.failed_attempts = None, 0
    _audit("remote_signing.unlocked", actor, credential)


def _matching_step(secret: str, code: str, now: float) -> int | None:
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)  # type: ignore[arg-type]  # pyotp accepts a timestamp
    for step in range(current - OTP_WINDOW, current + OTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_otp(
    credential: RemoteCredential, user: User, code: str | None, *, enrolling: bool = False
) -> None:
    """Accept the current code once; count a wrong one, lock at the limit (like a token PIN).

    The count is committed in its own transaction, so a refused request still counts."""
    if credential.locked:
        raise _refuse(
            user,
            credential,
            "credential_locked",
            _("Khóa ký từ xa đã bị khóa do nhập sai mã OTP quá số lần cho phép; liên hệ quản trị."),
            403,
        )
    if not enrolling and not credential.enrolled:
        raise _refuse(
            user,
            credential,
            "not_enrolled",
            _("Chưa đăng ký ứng dụng xác thực (OTP) cho khóa ký từ xa."),
            409,
        )
    seed = totp_seed(credential)
    clean = (code or "").strip().replace(" ", "")
    step = _matching_step(seed, clean, time.time()) if clean.isdigit() else None
    if step is not None and step > credential.last_otp_step:
        credential.last_otp_step, credential.failed_attempts = step, 0
        return
    reused = step is not None
    limit = settings().csc_otp_attempts
    credential_pk = credential.id
    db.session.rollback()
    credential = db.session.get(RemoteCredential, credential_pk)  # type: ignore[assignment]
    credential.failed_attempts += 1
    left = limit - credential.failed_attempts
    if left <= 0:
        credential.locked_at = utcnow()
    _audit(
        "remote_signing.otp_refused",
        user,
        credential,
        attempts=credential.failed_attempts,
        locked=left <= 0,
        reused=reused,
    )
    db.session.commit()  # the count must stay though the request fails
    if left <= 0:
        raise RemoteSigningRefused(
            "credential_locked",
            _("Sai mã OTP quá %(n)s lần: khóa ký từ xa đã bị khóa; liên hệ quản trị.", n=limit),
            403,
        )
    message = (
        _("Mã OTP này đã được dùng; hãy chờ mã mới.")
        if reused
        else _("Mã OTP không đúng; còn %(n)s lần thử.", n=left)
    )
    raise RemoteSigningRefused("invalid_otp", message, 401)


# --------------------------------------------------------------------------- authorise, sign


def check_certificate(credential: RemoteCredential, user: User) -> None:
    """In date, for signing, present on the HSM, trusted and not revoked: before any OTP."""
    roots = trusted_certificates()
    der = credential.certificate
    key = hsm_key(credential) if credential.provider == AGENCY_PROVIDER else None
    try:
        with outside_transaction():
            if key is not None:
                key.certificate()
            if roots:
                check_not_revoked(der, roots, roots, hard_fail=revocation_mode() == "hard")
    except CertificateRevoked as error:
        raise _refuse(
            user,
            credential,
            "certificate_revoked",
            _("Chứng thư số của khóa ký từ xa đã bị thu hồi; không ký được."),
            403,
        ) from error
    except RevocationUnavailable as error:
        raise _refuse(
            user,
            credential,
            "revocation_unavailable",
            _(
                "Không kiểm tra được tình trạng thu hồi của chứng thư số (máy chủ OCSP/CRL "
                "của nhà cung cấp không trả lời); chưa ký. Hãy thử lại sau ít phút."
            ),
            503,
        ) from error
    except TokenError as error:
        raise _refuse(
            user,
            credential,
            error.code,
            _("Chứng thư số của khóa ký từ xa không dùng được: %(e)s", e=str(error)),
            403,
        ) from error


def authorize(user: User, request: AuthorizeRequest) -> tuple[str, int]:
    """``credentials/authorize``: a SAD for exactly these hashes, after the certificate checks
    and the leader's one-time code. Returns the SAD and its lifetime in seconds."""
    credential = credential_for(user, request.credential_id)
    check_certificate(credential, user)
    check_otp(credential, user, request.otp)
    lifetime = settings().csc_sad_seconds
    sad, activation = seal_sad(
        _sad_key(),
        credential.credential_id,
        request.hashes,
        request.num_signatures,
        lifetime,
        int(time.time()),
    )
    db.session.add(
        RemoteActivation(
            nonce=activation.nonce,
            credential_pk=credential.id,
            num_signatures=activation.num_signatures,
            expires_at=utcnow() + timedelta(seconds=lifetime),
        )
    )
    _audit(
        "remote_signing.authorized",
        user,
        credential,
        num_signatures=request.num_signatures,
        description=(request.description or "")[:200],
    )
    db.session.commit()
    return sad, lifetime


def sign_hashes(user: User, request: SignHashRequest) -> list[bytes]:
    """``signatures/signHash``: sign with the HSM key what one unused SAD authorised.

    The SAD is spent before the HSM is asked, so a failure half-way cannot be replayed."""
    credential = credential_for(user, request.credential_id)
    try:
        activation = open_sad(_sad_key(), request.sad, credential.credential_id, int(time.time()))
        check_hashes(activation, request.hashes)
    except ActivationRefused as error:
        raise _refuse(user, credential, error.code, _sad_message(error.code), 400) from None
    row = db.session.scalars(
        select(RemoteActivation).where(RemoteActivation.nonce == activation.nonce).with_for_update()
    ).one_or_none()
    if row is None or row.credential_pk != credential.id or row.used_at is not None:
        raise _refuse(user, credential, "sad_replayed", _sad_message("sad_replayed"), 400)
    row.used_at = utcnow()
    key = hsm_key(credential)
    try:
        check_sign_algorithm(_key_algorithm(credential.certificate), request.sign_algorithm_oid)
    except CSCError as error:  # an algorithm this key does not do
        db.session.rollback()
        raise RemoteSigningRefused("invalid_request", str(error)) from None
    db.session.commit()
    hashes = [base64.b64decode(h) for h in request.hashes]
    try:
        with outside_transaction():
            signatures = key.sign_hashes(hashes, request.digest_algorithm, _hsm_pin)
    except TokenError as error:
        raise _refuse(
            user,
            credential,
            error.code,
            _("HSM không ký được: %(e)s", e=str(error)),
            503,
        ) from error
    _audit("remote_signing.signed", user, credential, signatures=len(signatures))
    db.session.commit()
    return signatures


def _key_algorithm(certificate: bytes) -> str:
    return str(x509.Certificate.load(certificate).public_key.algorithm)


def _sad_message(code: str) -> str:
    return {
        "sad_expired": _("Phiên xác nhận ký đã hết hạn; hãy nhập mã OTP mới."),
        "sad_replayed": _("Phiên xác nhận ký đã được dùng; hãy nhập mã OTP mới."),
        "hash_not_authorised": _("Có văn bản không nằm trong lần xác nhận ký này."),
        "too_many_hashes": _("Số văn bản ký vượt quá số đã xác nhận."),
    }.get(code, _("Dữ liệu xác nhận ký (SAD) không hợp lệ."))
