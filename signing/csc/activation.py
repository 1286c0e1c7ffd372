"""Signature activation data (SAD): what ``credentials/authorize`` returns and ``signHash`` needs.

A SAD here is a sealed statement "credential C may sign exactly these N hashes until T", with a
random nonce so that the service can refuse it a second time. It is sealed with an HMAC key the
service alone holds, so the client cannot widen it (add a hash, extend the expiry) without the
seal failing. Single use needs state (the nonces already spent): that is the caller's, which is
why :func:`open_sad` returns the nonce instead of remembering it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

SAD_PREFIX = "edoc-sad."


class ActivationRefused(Exception):
    """A SAD that cannot be used; ``code`` is a stable reason for the audit log."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Activation:
    """What a SAD allows."""

    credential_id: str
    hashes: tuple[str, ...]  # base64, as the client sent them
    num_signatures: int
    expires_at: int  # seconds since the epoch
    nonce: str

    def to_dict(self) -> dict[str, object]:
        return {
            "cid": self.credential_id,
            "h": list(self.hashes),
            "n": self.num_signatures,
            "exp": self.expires_at,
            "nonce": self.nonce,
        }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def normalise_hash(value: str) -> str:
    """One spelling per hash (standard base64 of the bytes), whatever alphabet the client used."""
    try:
        raw = base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4))
    except (ValueError, TypeError):
        raise ActivationRefused("invalid_hash", "a hash is not base64") from None
    if len(raw) not in (32, 48, 64):
        raise ActivationRefused("invalid_hash", "a hash is not a SHA-2 digest")
    return base64.b64encode(raw).decode("ascii")


def seal_sad(
    key: bytes,
    credential_id: str,
    hashes: Sequence[str],
    num_signatures: int,
    lifetime_seconds: int,
    now: int,
) -> tuple[str, Activation]:
    """A new SAD for these hashes (already normalised) and its content."""
    activation = Activation(
        credential_id=credential_id,
        hashes=tuple(hashes),
        num_signatures=num_signatures,
        expires_at=now + lifetime_seconds,
        nonce=secrets.token_urlsafe(16),
    )
    body = _b64url(json.dumps(activation.to_dict(), separators=(",", ":")).encode())
    seal = _b64url(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{SAD_PREFIX}{body}.{seal}", activation


def open_sad(key: bytes, sad: str, credential_id: str, now: int) -> Activation:
    """Check the seal, the credential and the expiry; return what the SAD allows.

    Whether its nonce was already spent is for the caller to check (and record) next."""
    try:
        body, seal = sad.removeprefix(SAD_PREFIX).split(".")
        expected = _b64url(hmac.new(key, body.encode(), hashlib.sha256).digest())
        if not sad.startswith(SAD_PREFIX) or not hmac.compare_digest(seal, expected):
            raise ValueError("seal")
        data = json.loads(_unb64url(body))
        activation = Activation(
            credential_id=str(data["cid"]),
            hashes=tuple(str(h) for h in data["h"]),
            num_signatures=int(data["n"]),
            expires_at=int(data["exp"]),
            nonce=str(data["nonce"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ActivationRefused("sad_invalid", "the SAD is not one this service issued") from None
    if activation.credential_id != credential_id:
        raise ActivationRefused("sad_other_credential", "the SAD was issued for another credential")
    if now >= activation.expires_at:
        raise ActivationRefused("sad_expired", "the SAD has expired")
    return activation


def check_hashes(activation: Activation, hashes: Sequence[str]) -> None:
    """Every hash to sign must be one the SAD names, at most ``num_signatures`` of them."""
    if not hashes:
        raise ActivationRefused("no_hash", "nothing to sign")
    if len(hashes) > activation.num_signatures:
        raise ActivationRefused(
            "too_many_hashes",
            f"{len(hashes)} hashes, the SAD allows {activation.num_signatures}",
        )
    allowed = set(activation.hashes)
    if any(h not in allowed for h in hashes):
        raise ActivationRefused("hash_not_authorised", "a hash was not authorised by this SAD")
