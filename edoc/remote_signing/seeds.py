"""TOTP seeds sealed at rest: AES-GCM under a key kept outside the database.

Whoever reads ``remote_credentials`` (a backup, a replica, an SQL injection elsewhere) must not
be able to make a leader's one-time codes. The key comes from HKDF over the installation's seed
secret (``Settings.csc_seed_key_material``, kept like the audit key); the credential id is the
associated data, so a sealed seed copied onto another credential does not open.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: Marks a sealed value; a stored seed without it is a plaintext row from before sealing.
PREFIX = "v1:"
NONCE_BYTES = 12


class SeedUnreadable(Exception):
    """The sealed seed does not open: another key, another credential, or altered bytes."""


def _aead(key_material: bytes) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"edoc remote-signing totp seed v1"
    ).derive(key_material)
    return AESGCM(key)


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal(key_material: bytes, credential_id: str, seed: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(key_material).encrypt(nonce, seed.encode(), credential_id.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def open_seed(key_material: bytes, credential_id: str, stored: str) -> str:
    if not is_sealed(stored):
        raise SeedUnreadable("not a sealed seed")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        return _aead(key_material).decrypt(nonce, sealed, credential_id.encode()).decode()
    except (InvalidTag, ValueError) as error:
        raise SeedUnreadable("the seed does not open with this key and credential") from error
