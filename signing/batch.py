"""Sign many prepared digests with one PIN entry: one PKCS#11 session, one login.

Why digests: the server prepares each PDF (interrupted signing, see ``signing.remote``) and only a
32-byte hash of the signed attributes travels to the leader's PC; the token signs that hash
(``CKM_RSA_PKCS`` over a DigestInfo, or ``CKM_ECDSA``), and the server builds the CMS.

A batch is all-or-nothing per item, never per batch: if the token is pulled out half-way, the
signatures already made are returned intact, the rest are reported as not signed, and no partial
value is ever handed back.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import algos, core

from signing import errors
from signing.tokens import (
    CertificateInfo,
    CertificateSelector,
    PinSource,
    find_private_key,
    open_session,
    select_certificate,
    translate_pkcs11_error,
)

DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}


@dataclass(frozen=True)
class DigestItem:
    """One thing to sign: the digest of a document's signed attributes, with an id to match."""

    id: str
    digest: bytes
    digest_algorithm: str = "sha256"

    def __post_init__(self) -> None:
        size = DIGEST_SIZES.get(self.digest_algorithm)
        if size is None:
            raise ValueError(f"unsupported digest algorithm {self.digest_algorithm}")
        if len(self.digest) != size:
            raise ValueError(f"item {self.id}: a {self.digest_algorithm} digest is {size} bytes")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DigestItem:
        return cls(
            id=str(data["id"]),
            digest=base64.b64decode(data["digest"]),
            digest_algorithm=data.get("digest_algorithm", "sha256"),
        )


@dataclass
class BatchResult:
    """What a batch produced; ``error`` says why ``not_signed`` is not empty."""

    certificate: CertificateInfo
    signatures: dict[str, bytes] = field(default_factory=dict)
    not_signed: list[str] = field(default_factory=list)
    error: errors.SigningError | None = None

    @property
    def complete(self) -> bool:
        return not self.not_signed

    def to_dict(self) -> dict[str, Any]:
        return {
            "certificate": base64.b64encode(self.certificate.der).decode(),
            "certificate_serial": self.certificate.serial,
            "signatures": {k: base64.b64encode(v).decode() for k, v in self.signatures.items()},
            "not_signed": list(self.not_signed),
            "error": (
                {"code": self.error.code, "message": str(self.error)} if self.error else None
            ),
        }


def key_algorithm(cert: CertificateInfo) -> str:
    """``rsa`` or ``ec``: decides the PKCS#11 mechanism and signature encoding."""
    return str(cert.cert.public_key.algorithm)


def sign_digest_with_key(key: Any, algorithm: str, item: DigestItem) -> bytes:
    """A raw signature over a precomputed digest (PKCS#1 v1.5 DigestInfo, or DER ECDSA)."""
    # python-pkcs11 loads only in a process that talks to a token (not the web server)
    from pkcs11 import Mechanism
    from pkcs11.util.ec import encode_ecdsa_signature  # as above

    if algorithm == "rsa":
        info = algos.DigestInfo(
            {
                "digest_algorithm": {
                    "algorithm": item.digest_algorithm,
                    "parameters": core.Null(),
                },
                "digest": item.digest,
            }
        ).dump()
        return bytes(key.sign(info, mechanism=Mechanism.RSA_PKCS))
    if algorithm == "ec":
        return encode_ecdsa_signature(bytes(key.sign(item.digest, mechanism=Mechanism.ECDSA)))
    raise errors.WrongKeyUsage(f"unsupported key algorithm {algorithm}")


def sign_digests(
    module_path: str,
    selector: CertificateSelector,
    items: Sequence[DigestItem],
    pin: PinSource,
    *,
    on_signed: Callable[[str, int], None] | None = None,
    at: datetime | None = None,
) -> BatchResult:
    """Sign ``items`` in order in one logged-in session.

    The certificate is checked before ``pin`` is asked for; a wrong PIN raises
    :class:`~signing.errors.PinIncorrect` (no signature made, no retry). ``on_signed(id, index)``
    is called after each signature (progress reporting).
    """
    from pkcs11 import PKCS11Error  # optional at run time, as above

    token, cert = select_certificate(module_path, selector, at)
    algorithm = key_algorithm(cert)
    result = BatchResult(certificate=cert)
    with open_session(module_path, token, pin) as session:
        key = find_private_key(session, cert)
        for index, item in enumerate(items):
            try:
                signature = sign_digest_with_key(key, algorithm, item)
            except PKCS11Error as exc:
                result.error = translate_pkcs11_error(exc)
                result.not_signed = [i.id for i in items[index:]]
                break
            result.signatures[item.id] = signature
            if on_signed is not None:
                on_signed(item.id, index)
    return result
