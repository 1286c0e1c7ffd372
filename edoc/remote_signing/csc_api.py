"""The agency's CSC API v2 at ``/csc/v2``: for third-party CSC clients (pyHanko, a provider's
app) signing with the leaders' keys in the agency HSM.

The endpoints and their JSON are the CSC specification's (errors as ``{"error",
"error_description"}``), so they are documented there and in signing/REMOTE.md rather than in
edoc's own OpenAPI document. Closed (404) unless ``EDOC_CSC_SERVICE`` is on, and refused over
plain HTTP unless ``EDOC_CSC_REQUIRE_HTTPS`` is off. Authentication: a bearer token (edoc's API
token, or one from ``auth/login`` with HTTP Basic); only leaders hold credentials.
"""

from __future__ import annotations

import base64
from typing import Any

from asn1crypto import x509
from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from edoc.core.agency_key import trusted_certificates
from edoc.core.auth import Role
from edoc.core.errors import AppError
from edoc.core.extensions import csrf, limiter
from edoc.remote_signing import services
from edoc.users import services as users
from edoc.users.models import User
from signing.csc.protocol import AuthorizeRequest, CSCError, SignHashRequest, credential_info

bp = Blueprint("csc", __name__, url_prefix="/csc/v2")
csrf.exempt(bp)

METHODS = [
    "auth/login",
    "auth/revoke",
    "credentials/list",
    "credentials/info",
    "credentials/authorize",
    "signatures/signHash",
]


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    config = services.settings()
    if not config.csc_service:
        return _error(CSCError("not_found", "the remote-signing service is not enabled", 404))
    if config.csc_require_https and not _over_https(config.trusted_proxies):
        return _error(CSCError("invalid_request", "HTTPS is required", 403))
    return None


def _over_https(trusted_proxies: int) -> bool:
    """TLS here, or at a trusted reverse proxy that says so (``X-Forwarded-Proto``)."""
    if request.is_secure:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")
    return trusted_proxies > 0 and forwarded[-1].strip() == "https"


def _error(error: CSCError) -> ResponseReturnValue:
    return jsonify(error.to_dict()), error.status


@bp.errorhandler(CSCError)
def _csc_error(error: CSCError) -> ResponseReturnValue:
    return _error(error)


@bp.errorhandler(AppError)
def _app_error(error: AppError) -> ResponseReturnValue:
    return jsonify({"error": error.code, "error_description": error.message}), error.status


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise CSCError("invalid_request", "the body must be a JSON object")
    return body


def _leader() -> User:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise CSCError("invalid_request", "missing bearer token", 401)
    user = current_app.extensions["edoc.token_loader"](header.removeprefix("Bearer ").strip())
    if not user.has_role(Role.LEADER):
        raise CSCError("access_denied", _("Chỉ lãnh đạo có khóa ký từ xa."), 403)
    g.api_user = user
    return user


def csc_limit() -> str:
    return services.settings().ratelimit_token


@bp.post("/info")
def info() -> ResponseReturnValue:
    return jsonify(
        {
            "specs": "2.0.0.2",
            "name": "edoc",
            "logo": "",
            "region": "VN",
            "lang": "vi",
            "description": "Dịch vụ ký số từ xa của cơ quan (khóa trong HSM của cơ quan)",
            "authType": ["basic"],
            "methods": METHODS,
        }
    )


@bp.post("/auth/login")
@limiter.limit(csc_limit)
def login() -> ResponseReturnValue:
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        raise CSCError("invalid_request", "HTTP Basic credentials are required", 401)
    user = users.authenticate(auth.username, auth.password or "")
    token, _row = users.issue_api_token(user)
    seconds = services.settings().api_token_hours * 3600
    return jsonify({"access_token": token, "expires_in": seconds})


@bp.post("/auth/revoke")
def revoke() -> ResponseReturnValue:
    _leader()
    users.revoke_api_token(request.headers["Authorization"].removeprefix("Bearer ").strip())
    return "", 204


@bp.post("/credentials/list")
def credentials_list() -> ResponseReturnValue:
    user = _leader()
    return jsonify({"credentialIDs": [c.credential_id for c in services.credentials_of(user)]})


@bp.post("/credentials/info")
def credentials_info() -> ResponseReturnValue:
    user = _leader()
    body = _body()
    credential_id = body.get("credentialID")
    if not isinstance(credential_id, str):
        raise CSCError("invalid_request", "missing credentialID")
    credential = services.credential_for(user, credential_id)
    certificates = [credential.certificate]
    if body.get("certificates", "single") == "chain":
        certificates += trusted_certificates()
    leaf = x509.Certificate.load(credential.certificate)
    return jsonify(
        credential_info(
            certificates=certificates,
            key_algorithm=str(leaf.public_key.algorithm),
            key_length=leaf.public_key.bit_size,
            status="valid",
            description=credential.description,
        )
    )


@bp.post("/credentials/authorize")
@limiter.limit(csc_limit)
def credentials_authorize() -> ResponseReturnValue:
    user = _leader()
    sad, lifetime = services.authorize(user, AuthorizeRequest.parse(_body()))
    return jsonify({"SAD": sad, "expiresIn": lifetime})


@bp.post("/signatures/signHash")
def sign_hash() -> ResponseReturnValue:
    user = _leader()
    signatures = services.sign_hashes(user, SignHashRequest.parse(_body()))
    return jsonify({"signatures": [base64.b64encode(s).decode("ascii") for s in signatures]})
