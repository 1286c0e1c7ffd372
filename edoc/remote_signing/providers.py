"""Where a leader's remote key is: one small interface, one class per kind of provider.

:class:`AgencyProvider` is the agency's own service, called in process through the same
``services.authorize`` and ``services.sign_hashes`` as its CSC endpoints. :class:`CSCProvider`
is any commercial provider speaking CSC v2, configured in ``EDOC_CSC_PROVIDERS_FILE``. A
provider with its own, non-CSC API is one more class with the same method.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Protocol

from asn1crypto import x509
from flask_babel import gettext as _

from edoc.core.errors import ServiceUnavailable
from edoc.remote_signing import services
from edoc.remote_signing.models import AGENCY_PROVIDER, RemoteCredential
from edoc.users.models import User
from signing.csc.client import CSCClient, CSCProviderConfig, RemoteSigningError
from signing.csc.protocol import AuthorizeRequest, SignHashRequest

DIGEST_OID = "2.16.840.1.101.3.4.2.1"
SIGN_OIDS = {"rsa": "1.2.840.113549.1.1.11", "ec": "1.2.840.10045.4.3.2"}


class RemoteProvider(Protocol):
    """Sign SHA-256 digests with a leader's remote key, the batch authorised once."""

    def sign(
        self, credential: RemoteCredential, user: User, digests: Sequence[bytes], otp: str | None
    ) -> list[bytes]: ...


class AgencyProvider:
    """The agency's HSM, through the service's own rules (certificate, OTP, single-use SAD)."""

    def sign(
        self, credential: RemoteCredential, user: User, digests: Sequence[bytes], otp: str | None
    ) -> list[bytes]:
        hashes = [base64.b64encode(d).decode("ascii") for d in digests]
        credential_id = credential.credential_id
        algorithm = str(x509.Certificate.load(credential.certificate).public_key.algorithm)
        sad, _lifetime = services.authorize(
            user,
            AuthorizeRequest(
                credential_id=credential_id,
                num_signatures=len(hashes),
                hashes=tuple(hashes),
                otp=otp,
                pin=None,
                description=f"{len(hashes)} văn bản",
            ),
        )
        return services.sign_hashes(
            user,
            SignHashRequest(credential_id, sad, tuple(hashes), "sha256", SIGN_OIDS[algorithm]),
        )


class CSCProvider:
    """A commercial provider speaking CSC v2 (explicit OTP/PIN or asynchronous approval)."""

    def __init__(self, config: CSCProviderConfig) -> None:
        self.config = config

    def sign(
        self, credential: RemoteCredential, user: User, digests: Sequence[bytes], otp: str | None
    ) -> list[bytes]:
        algorithm = str(x509.Certificate.load(credential.certificate).public_key.algorithm)
        try:
            with CSCClient(self.config) as client:
                sad = client.authorize(credential.credential_id, digests, "sha256", otp)
                return client.sign_hashes(
                    credential.credential_id, sad, digests, "sha256", algorithm
                )
        except RemoteSigningError as error:
            raise services.RemoteSigningRefused(
                error.code,
                _("Nhà cung cấp ký từ xa từ chối: %(e)s", e=str(error)),
                502,
            ) from error


def provider_configs() -> dict[str, CSCProviderConfig]:
    """The commercial providers of ``EDOC_CSC_PROVIDERS_FILE`` (a JSON list of objects with the
    fields of :class:`~signing.csc.client.CSCProviderConfig`), read at each use."""
    path = services.settings().csc_providers_file
    if path is None or not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        configs = [CSCProviderConfig(**entry) for entry in entries]
    except (ValueError, TypeError) as error:
        raise ServiceUnavailable(
            "providers_file", _("Tệp cấu hình nhà cung cấp ký từ xa không hợp lệ: %(e)s", e=error)
        ) from error
    return {c.name: c for c in configs}


def provider_for(credential: RemoteCredential) -> RemoteProvider:
    if credential.provider == AGENCY_PROVIDER:
        return AgencyProvider()
    config = provider_configs().get(credential.provider)
    if config is None:
        raise ServiceUnavailable(
            "provider_missing",
            _("Chưa cấu hình nhà cung cấp ký từ xa “%(p)s”.", p=credential.provider),
        )
    return CSCProvider(config)
