"""The agency key on a token or HSM attached to the server (clerk's ``ký số cơ quan``).

Why a separate signer: the agency seal may live in the server room rather than on the clerk's
USB token. The server then runs both signing steps itself, still through ``prepare``/``finish``
so the result is checked exactly like an agent's. The PIN comes from an environment variable or
a file readable only by the service account; it is read at each batch, held for one login, and
never stored on the object, printed or logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509

from signing import errors
from signing.batch import BatchResult, DigestItem, sign_digests
from signing.remote import SignatureOptions, finish, prepare
from signing.tokens import CertificateInfo, CertificateSelector, select_certificate


@dataclass(frozen=True)
class ServerTokenConfig:
    """Where the agency key is and where its PIN comes from (never the PIN itself)."""

    module_path: str
    token_label: str
    cert_label: str | None = None
    cert_serial: str | None = None
    pin_env: str | None = "EDOC_AGENCY_TOKEN_PIN"
    pin_file: str | None = None

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, prefix: str = "EDOC_AGENCY_TOKEN_"
    ) -> ServerTokenConfig:
        """Read ``<prefix>MODULE``, ``LABEL``, ``CERT_LABEL``/``CERT_SERIAL``, ``PIN_FILE``.

        With ``<prefix>PIN`` set, the PIN is read from the process environment at each batch.
        """
        env = os.environ if environ is None else environ
        try:
            module, label = env[f"{prefix}MODULE"], env[f"{prefix}LABEL"]
        except KeyError as exc:
            raise ValueError(f"{exc.args[0]} is not set") from None
        return cls(
            module_path=module,
            token_label=label,
            cert_label=env.get(f"{prefix}CERT_LABEL"),
            cert_serial=env.get(f"{prefix}CERT_SERIAL"),
            pin_env=f"{prefix}PIN" if f"{prefix}PIN" in env else None,
            pin_file=env.get(f"{prefix}PIN_FILE"),
        )

    @property
    def selector(self) -> CertificateSelector:
        return CertificateSelector(
            token_label=self.token_label, label=self.cert_label, serial=self.cert_serial
        )

    def read_pin(self) -> str:
        if self.pin_file:
            return Path(self.pin_file).read_text(encoding="utf-8").strip()
        if self.pin_env and os.environ.get(self.pin_env):
            return os.environ[self.pin_env]
        raise errors.TokenError("no PIN configured for the agency token (PIN or PIN_FILE)")


class ServerSideSigner:
    """Signs PDFs with the agency key, many per login."""

    def __init__(self, config: ServerTokenConfig) -> None:
        self.config = config

    def certificate(self) -> CertificateInfo:
        """The agency certificate (checked usable; no PIN needed)."""
        return select_certificate(self.config.module_path, self.config.selector)[1]

    def sign_digests(self, items: Sequence[DigestItem]) -> BatchResult:
        return sign_digests(
            self.config.module_path, self.config.selector, items, self.config.read_pin
        )

    def sign_pdfs(
        self,
        pdfs: Sequence[bytes],
        *,
        options: SignatureOptions,
        trust_roots: Sequence[bytes | asn1_x509.Certificate] = (),
    ) -> list[bytes | errors.SigningError]:
        """Prepare all, sign all digests in one session, finish each; failures are per item."""
        cert = self.certificate()
        prepared = [prepare(pdf, signer_cert=cert.der, options=options) for pdf in pdfs]
        result = self.sign_digests([p.digest_item(str(i)) for i, p in enumerate(prepared)])
        out: list[bytes | errors.SigningError] = []
        for index, item in enumerate(prepared):
            signature = result.signatures.get(str(index))
            if signature is None:
                out.append(result.error or errors.TokenRemoved("not signed"))
                continue
            try:
                out.append(finish(item, signature=signature, trust_roots=trust_roots))
            except errors.SigningError as exc:
                out.append(exc)
        return out

    def __repr__(self) -> str:
        c = self.config
        return f"ServerSideSigner(token={c.token_label!r}, cert={c.cert_label or c.cert_serial!r})"
