"""A CSC credential whose key stays in a PKCS#11 module (an HSM; SoftHSM2 in tests and demo).

Signing a hash is :func:`signing.batch.sign_digests`: one session, one login, every hash of the
batch, the key never read out. Before the first hash, and before any second factor is asked
for, the certificate is checked: in its validity period, for signing, and (when trust roots are
given) chaining to one of them and not revoked according to its CA's OCSP responder or CRL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    InsufficientRevinfoError,
    PathError,
    RevokedError,
    ValidationError,
)

from signing import errors
from signing.batch import DigestItem, key_algorithm, sign_digests
from signing.remote import run_async
from signing.tokens import CertificateInfo, CertificateSelector, PinSource, select_certificate


class CertificateRevoked(errors.TokenError):
    code = "certificate_revoked"


class CertificateUntrusted(errors.TokenError):
    code = "certificate_untrusted"


class RevocationUnavailable(CertificateUntrusted):
    """Hard-fail only: the CA's OCSP responder and CRL could not be reached or read, so
    nobody can say the certificate is not revoked (a condition of the service, not the key)."""

    code = "revocation_unavailable"


@dataclass(frozen=True)
class HsmKey:
    """Where one credential's key and certificate are: module, token and object label."""

    module_path: str
    token_label: str
    cert_label: str

    @property
    def selector(self) -> CertificateSelector:
        return CertificateSelector(token_label=self.token_label, label=self.cert_label)

    def certificate(self, at: datetime | None = None) -> CertificateInfo:
        """The certificate, refused if expired, not yet valid or not for signing (no PIN)."""
        return select_certificate(self.module_path, self.selector, at)[1]

    def key_algorithm(self) -> str:
        return key_algorithm(self.certificate())

    def sign_hashes(
        self, hashes: Sequence[bytes], digest_algorithm: str, pin: PinSource
    ) -> list[bytes]:
        """Raw signatures over ``hashes`` in order (PKCS#1 v1.5 DigestInfo or DER ECDSA)."""
        items = [DigestItem(str(i), h, digest_algorithm) for i, h in enumerate(hashes)]
        result = sign_digests(self.module_path, self.selector, items, pin)
        if not result.complete:
            raise result.error or errors.TokenRemoved("not every hash was signed")
        return [result.signatures[item.id] for item in items]


def check_not_revoked(
    certificate: bytes,
    chain: Sequence[bytes],
    trust_roots: Sequence[bytes],
    *,
    allow_fetching: bool = True,
    hard_fail: bool = False,
) -> None:
    """Refuse a certificate that does not chain to ``trust_roots`` or that its CA revoked.

    Fetches OCSP/CRLs. ``hard_fail``: a CA that cannot be asked is a refusal too (for a service
    that always reaches its CAs); otherwise (soft-fail) only a CA's answer "revoked" refuses,
    and an unreachable responder lets the signature go ahead, as a token does offline."""
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(r) for r in trust_roots],
        other_certs=[asn1_x509.Certificate.load(c) for c in chain],
        allow_fetching=allow_fetching,
        revocation_mode="hard-fail" if allow_fetching and hard_fail else "soft-fail",
        # the responder's answer is dated when it is made, a little after "now" was taken
        time_tolerance=timedelta(minutes=2),
    )
    validator = CertificateValidator(
        asn1_x509.Certificate.load(certificate), validation_context=context
    )

    async def validate() -> None:
        try:
            await validator.async_validate_usage({"non_repudiation"})
        finally:
            await context.aclose()

    try:
        run_async(validate())
    except RevokedError as error:
        raise CertificateRevoked(f"the certificate was revoked: {error}") from None
    except InsufficientRevinfoError as error:
        raise RevocationUnavailable(f"revocation status unavailable: {error}") from None
    except (PathError, ValidationError) as error:
        raise CertificateUntrusted(f"the certificate cannot be trusted: {error}") from None
    except (TimeoutError, aiohttp.ClientError, OSError) as error:  # a responder out of reach
        if hard_fail:
            raise RevocationUnavailable(f"revocation status unavailable: {error!r}") from None
