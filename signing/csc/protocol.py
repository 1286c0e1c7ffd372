"""CSC API requests and answers as plain values (no web framework).

The service speaks CSC v2 and also reads the v1 field names pyHanko's client sends
(``hash``/``hashAlgo`` beside v2's ``hashes``/``hashAlgorithmOID``), so a third-party client of
either version works. Errors use the CSC form ``{"error", "error_description"}``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, x509

from signing.csc.activation import ActivationRefused, normalise_hash

#: The digests the service signs, by OID (CSC sends OIDs).
HASH_OIDS = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
#: What an RSA key (PKCS#1 v1.5) or an EC key (ECDSA) may be asked to do, by OID.
RSA_SIGN_OIDS = {
    "1.2.840.113549.1.1.1": None,  # rsaEncryption: the digest algorithm comes from hashAlgo
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
}
EC_SIGN_OIDS = {
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}
MAX_HASHES = 500


class CSCError(Exception):
    """A refusal in CSC form; ``status`` is the HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def to_dict(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _text(
    body: Mapping[str, Any], *names: str, required: bool = True, longest: int = 4096
) -> str | None:
    for name in names:
        value = body.get(name)
        if value is not None:
            if not isinstance(value, str) or len(value) > longest:
                raise CSCError("invalid_request", f"{name} must be a string")
            return value
    if required:
        raise CSCError("invalid_request", f"missing {names[0]}")
    return None


def _hashes(body: Mapping[str, Any], required: bool) -> list[str]:
    value = body.get("hashes", body.get("hash"))
    if value is None:
        if required:
            raise CSCError("invalid_request", "missing hashes")
        return []
    if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
        raise CSCError("invalid_request", "hashes must be a list of base64 strings")
    if len(value) > MAX_HASHES:
        raise CSCError("invalid_request", f"at most {MAX_HASHES} hashes at once")
    try:
        return [normalise_hash(h) for h in value]
    except ActivationRefused as error:
        raise CSCError("invalid_request", str(error)) from None


def _hash_algorithm(body: Mapping[str, Any], required: bool) -> str | None:
    oid = _text(body, "hashAlgorithmOID", "hashAlgo", required=required)
    if oid is None:
        return None
    if oid not in HASH_OIDS:
        raise CSCError("invalid_request", f"unsupported hash algorithm {oid}")
    return HASH_OIDS[oid]


@dataclass(frozen=True)
class AuthorizeRequest:
    """``credentials/authorize``: which credential, how many signatures, which hashes, and the
    second factor (an OTP and/or a PIN; never kept beyond the check)."""

    credential_id: str
    num_signatures: int
    hashes: tuple[str, ...]
    otp: str | None
    pin: str | None
    description: str | None

    @classmethod
    def parse(cls, body: Any) -> AuthorizeRequest:
        if not isinstance(body, Mapping):
            raise CSCError("invalid_request", "the body must be a JSON object")
        credential_id = _text(body, "credentialID")
        hashes = _hashes(body, required=True)  # SCAL2: the SAD is always bound to hashes
        _hash_algorithm(body, required=False)
        raw_count = body.get("numSignatures", len(hashes))
        if not isinstance(raw_count, int) or isinstance(raw_count, bool):
            try:
                raw_count = int(raw_count)
            except (TypeError, ValueError):
                raise CSCError("invalid_request", "numSignatures must be a number") from None
        if raw_count != len(hashes) or not 1 <= raw_count <= MAX_HASHES:
            raise CSCError("invalid_request", "numSignatures must equal the number of hashes")
        if len(set(hashes)) != len(hashes):
            raise CSCError("invalid_request", "a hash is listed twice")
        assert credential_id is not None
        return cls(
            credential_id=credential_id,
            num_signatures=raw_count,
            hashes=tuple(hashes),
            otp=_text(body, "OTP", required=False),
            pin=_text(body, "PIN", required=False),
            description=_text(body, "description", required=False),
        )


@dataclass(frozen=True)
class SignHashRequest:
    """``signatures/signHash``: the SAD, the hashes and how to sign them."""

    credential_id: str
    sad: str
    hashes: tuple[str, ...]
    digest_algorithm: str
    sign_algorithm_oid: str

    @classmethod
    def parse(cls, body: Any) -> SignHashRequest:
        if not isinstance(body, Mapping):
            raise CSCError("invalid_request", "the body must be a JSON object")
        credential_id = _text(body, "credentialID")
        sad = _text(body, "SAD", longest=64 * MAX_HASHES + 1024)  # names every hash
        hashes = _hashes(body, required=True)
        sign_oid = _text(body, "signAlgo")
        assert credential_id is not None and sad is not None and sign_oid is not None
        digest = _hash_algorithm(body, required=False) or RSA_SIGN_OIDS.get(
            sign_oid, EC_SIGN_OIDS.get(sign_oid)
        )
        if digest is None:
            raise CSCError("invalid_request", "missing hashAlgorithmOID")
        implied = RSA_SIGN_OIDS.get(sign_oid, EC_SIGN_OIDS.get(sign_oid))
        if implied is not None and implied != digest:
            raise CSCError("invalid_request", "signAlgo and hashAlgorithmOID disagree")
        if body.get("signAlgoParams"):
            raise CSCError("invalid_request", "signature parameters (RSA-PSS) are not supported")
        sizes = {"sha256": 32, "sha384": 48, "sha512": 64}[digest]
        if any(len(base64.b64decode(h)) != sizes for h in hashes):
            raise CSCError("invalid_request", f"a hash is not a {digest} digest")
        return cls(credential_id, sad, tuple(hashes), digest, sign_oid)


def sign_algorithms(key_algorithm: str) -> list[str]:
    """The ``key.algo`` OIDs of ``credentials/info`` for an ``rsa`` or ``ec`` key."""
    return list(RSA_SIGN_OIDS if key_algorithm == "rsa" else EC_SIGN_OIDS)


def check_sign_algorithm(key_algorithm: str, oid: str) -> None:
    allowed = RSA_SIGN_OIDS if key_algorithm == "rsa" else EC_SIGN_OIDS
    if oid not in allowed:
        name = algos.SignedDigestAlgorithmId(oid).native if oid else oid
        raise CSCError("invalid_request", f"this key cannot sign with {name}")


def credential_info(
    *,
    certificates: Sequence[bytes],
    key_algorithm: str,
    key_length: int,
    status: str,
    description: str,
    auth_mode: str = "explicit",
    otp_type: str = "online",
    max_batch: int = MAX_HASHES,
) -> dict[str, Any]:
    """The ``credentials/info`` answer (v2 names; ``key.algo`` and ``multisign`` as v1 has them)."""
    leaf = x509.Certificate.load(certificates[0])
    return {
        "description": description,
        "signatureQualifier": "eu_eidas_aes",
        "key": {
            "status": "enabled",
            "algo": sign_algorithms(key_algorithm),
            "len": key_length,
        },
        "cert": {
            "status": status,
            "certificates": [base64.b64encode(c).decode("ascii") for c in certificates],
            "issuerDN": leaf.issuer.human_friendly,
            "serialNumber": format(leaf.serial_number, "X"),
            "subjectDN": leaf.subject.human_friendly,
            "validFrom": leaf.not_valid_before.strftime("%Y%m%d%H%M%SZ"),
            "validTo": leaf.not_valid_after.strftime("%Y%m%d%H%M%SZ"),
        },
        "authMode": auth_mode,
        "SCAL": "2",
        "PIN": {"presence": "false"},
        "OTP": {
            "presence": "true",
            "type": otp_type,
            "format": "N",
            "label": "Mã OTP trên điện thoại",
            "description": "TOTP (RFC 6238), 6 chữ số",
        },
        "multisign": max_batch,
        "lang": "vi",
    }
