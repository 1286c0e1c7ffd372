"""Webhook secrets: generated here, shown once, kept encrypted, signed with on delivery.

The server must read a secret back to compute each HMAC, so a hash will not do. It is kept
encrypted (Fernet: AES-128-CBC with an HMAC-SHA256 tag) under a key derived with HKDF from the
installation's secret key (``EDOC_SECRET_KEY`` or ``<data_dir>/secret_key``), which never lives
in the database: a stolen database dump or backup alone does not let anyone forge deliveries.
Changing the secret key makes the stored secrets unreadable; the deliveries then fail with
``secret_unreadable`` until an admin creates the subscription again (a new secret). Secrets are
never logged, never in an audit entry, never in an API answer after the one that created them.
"""

from __future__ import annotations

import base64
import functools
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_INFO = b"edoc webhook secrets v1"


class SecretUnreadable(Exception):
    """The sealed secret does not open with this installation's key (the key changed)."""


def new_secret() -> str:
    """A fresh secret for a subscription: 32 random bytes, URL-safe text."""
    return "whsec_" + secrets.token_urlsafe(32)


def _box() -> Fernet:
    return _box_for(current_app.config["EDOC"].secret_key)


@functools.lru_cache(maxsize=4)
def _box_for(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret: str) -> str:
    return _box().encrypt(secret.encode()).decode()


def open_sealed(sealed: str) -> str:
    try:
        return _box().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("the webhook secret does not open with this secret key") from None
