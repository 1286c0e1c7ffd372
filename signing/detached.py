"""Detached CMS signatures over small documents (not PDFs), made with a key on a token.

Used to sign records that live outside any PDF, such as checkpoints of an audit log: the token
signs the digest of the CMS signed attributes (the same one-digest path as PDF signing, so a
PIN is asked once and the key never leaves the token); a time-stamp from a TSA is added as an
unsigned attribute when a TSA URL is given.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.batch import DigestItem, key_algorithm
from signing.remote import _cert, _validation_context, run_async
from signing.tokens import CertificateInfo

#: Signs one digest with the token's key and returns the raw signature value (for the agency
#: token: ``lambda item: ServerSideSigner.sign_digests([item]).signatures[item.id]``).
DigestSigner = Callable[[DigestItem], bytes]


class _TokenSigner(Signer):
    """pyHanko's CMS builder, with the raw signature made by the token over one digest."""

    def __init__(self, certificate: CertificateInfo, chain: Sequence[bytes], sign: DigestSigner):
        mechanism = {"rsa": "sha256_rsa", "ec": "sha256_ecdsa"}[key_algorithm(certificate)]
        super().__init__(
            signing_cert=certificate.cert,
            cert_registry=SimpleCertificateStore.from_certs([_cert(c) for c in chain]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": mechanism}),
        )
        self._sign = sign

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return bytes(512)
        return self._sign(
            DigestItem("detached", hashlib.new(digest_algorithm, data).digest(), digest_algorithm)
        )


def sign_detached(
    data: bytes,
    *,
    certificate: CertificateInfo,
    sign: DigestSigner,
    chain: Sequence[bytes] = (),
    tsa_url: str | None = None,
) -> bytes:
    """A DER CMS SignedData over ``data`` (detached: ``data`` is not inside it)."""
    signer = _TokenSigner(certificate, chain, sign)
    timestamper = HTTPTimeStamper(tsa_url) if tsa_url else None
    content = run_async(
        signer.async_sign_general_data(data, "sha256", detached=True, timestamper=timestamper)
    )
    return content.dump()


@dataclass(frozen=True)
class DetachedCheck:
    intact: bool
    valid: bool
    trusted: bool
    signer: str
    timestamp: datetime | None

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted


def verify_detached(
    data: bytes, signature: bytes, trust_roots: Sequence[bytes | asn1_x509.Certificate]
) -> DetachedCheck:
    """Check a detached CMS signature over ``data`` against ``trust_roots`` (no network)."""
    content = cms.ContentInfo.load(signature)
    signed_data = content["content"]
    context = _validation_context(trust_roots, False)
    status = run_async(
        async_validate_detached_cms(
            data,
            signed_data,
            signer_validation_context=context,
            ts_validation_context=_validation_context(trust_roots, False),
        )
    )
    timestamp = status.timestamp_validity.timestamp if status.timestamp_validity else None
    return DetachedCheck(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        signer=status.signing_cert.subject.human_friendly,
        timestamp=timestamp,
    )
