"""The caller's side of CSC v2, for a commercial remote-signing provider (or edoc's own service
reached over the network).

:class:`CSCClient` makes the HTTP calls; :class:`CSCProviderConfig` says how one provider is
reached (base URL, OAuth2 client, authorisation mode). Two modes cover the providers met so far:
``explicit`` (the leader types an OTP or PIN that goes in ``credentials/authorize``) and
``async`` (``credentials/authorize`` returns at once and the leader approves in the provider's
phone app; ``credentials/authorizeCheck`` is polled until the SAD comes or the time-out ends).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from signing import errors
from signing.csc.protocol import HASH_OIDS

DIGEST_OIDS = {name: oid for oid, name in HASH_OIDS.items()}
RSA_WITH = {
    "sha256": "1.2.840.113549.1.1.11",
    "sha384": "1.2.840.113549.1.1.12",
    "sha512": "1.2.840.113549.1.1.13",
}
EC_WITH = {
    "sha256": "1.2.840.10045.4.3.2",
    "sha384": "1.2.840.10045.4.3.3",
    "sha512": "1.2.840.10045.4.3.4",
}


class RemoteSigningError(errors.SigningError):
    """The provider refused or failed; ``code`` is the CSC error (``invalid_otp``, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CSCProviderConfig:
    """One provider: where it is, how edoc authenticates to it, how the leader authorises."""

    name: str
    base_url: str  # before /csc/v2/…
    token_url: str | None = None  # OAuth2 client-credentials endpoint; None: static token
    client_id: str | None = None
    client_secret: str | None = None
    static_token: str | None = None
    auth_mode: str = "explicit"  # or "async"
    poll_interval_seconds: float = 2.0
    poll_timeout_seconds: float = 120.0
    timeout_seconds: float = 30.0
    verify_tls: bool | str = True

    def __post_init__(self) -> None:
        if self.auth_mode not in ("explicit", "async"):
            raise ValueError("auth_mode must be explicit or async")


@dataclass(frozen=True)
class CredentialDetails:
    credential_id: str
    certificates: tuple[bytes, ...]  # the signer's first
    sign_algorithms: frozenset[str]
    max_batch: int

    @property
    def certificate(self) -> bytes:
        return self.certificates[0]


class CSCClient:
    """Synchronous CSC v2 calls over httpx, with a bearer token for the service."""

    def __init__(
        self,
        config: CSCProviderConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self._http = httpx.Client(
            timeout=config.timeout_seconds, verify=config.verify_tls, transport=transport
        )
        self._token: str | None = config.static_token
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CSCClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _access_token(self) -> str | None:
        if self._token is None and self.config.token_url:
            response = self._http.post(
                self.config.token_url,
                data={"grant_type": "client_credentials"},
                auth=(self.config.client_id or "", self.config.client_secret or ""),
            )
            data = self._json(response)
            self._token = str(data["access_token"])
        return self._token

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400:
            code = str(data.get("error", f"http_{response.status_code}"))
            raise RemoteSigningError(code, str(data.get("error_description", code)))
        if not isinstance(data, dict):
            raise RemoteSigningError("invalid_response", "the provider's answer is not JSON")
        return data

    def call(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        token = self._access_token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"{self.config.base_url.rstrip('/')}/csc/v2/{endpoint}"
        try:
            response = self._http.post(url, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise RemoteSigningError("unreachable", f"{self.config.name}: {error}") from None
        return self._json(response)

    def list_credentials(self) -> list[str]:
        return [str(c) for c in self.call("credentials/list", {}).get("credentialIDs", [])]

    def credential(self, credential_id: str) -> CredentialDetails:
        data = self.call(
            "credentials/info",
            {"credentialID": credential_id, "certificates": "chain", "certInfo": True},
        )
        try:
            return CredentialDetails(
                credential_id=credential_id,
                certificates=tuple(base64.b64decode(c) for c in data["cert"]["certificates"]),
                sign_algorithms=frozenset(data["key"]["algo"]),
                max_batch=int(data.get("multisign", 1)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RemoteSigningError("invalid_response", f"credentials/info: {error}") from None

    def authorize(
        self, credential_id: str, hashes: Sequence[bytes], digest: str, otp: str | None
    ) -> str:
        """A SAD for exactly ``hashes``: with the OTP/PIN the leader typed, or by polling until
        the leader approves on the phone (``async`` mode)."""
        body: dict[str, Any] = {
            "credentialID": credential_id,
            "numSignatures": len(hashes),
            "hashes": [base64.b64encode(h).decode() for h in hashes],
            "hashAlgorithmOID": DIGEST_OIDS[digest],
        }
        if self.config.auth_mode == "explicit":
            if otp is not None:
                body["OTP"] = otp
            return str(self.call("credentials/authorize", body)["SAD"])
        data = self.call("credentials/authorize", body)
        if "SAD" in data:
            return str(data["SAD"])
        deadline = time.monotonic() + self.config.poll_timeout_seconds
        while time.monotonic() < deadline:
            self._sleep(self.config.poll_interval_seconds)
            check = self.call(
                "credentials/authorizeCheck",
                {"credentialID": credential_id, "authorizationID": data.get("authorizationID")},
            )
            if check.get("SAD"):
                return str(check["SAD"])
            if check.get("status") in ("rejected", "expired"):
                raise RemoteSigningError("authorization_rejected", "the leader refused")
        raise RemoteSigningError("authorization_timeout", "no approval before the time-out")

    def sign_hashes(
        self,
        credential_id: str,
        sad: str,
        hashes: Sequence[bytes],
        digest: str,
        key_algorithm: str,
    ) -> list[bytes]:
        sign_oid = (RSA_WITH if key_algorithm == "rsa" else EC_WITH)[digest]
        data = self.call(
            "signatures/signHash",
            {
                "credentialID": credential_id,
                "SAD": sad,
                "hashes": [base64.b64encode(h).decode() for h in hashes],
                "hashAlgorithmOID": DIGEST_OIDS[digest],
                "signAlgo": sign_oid,
            },
        )
        signatures = data.get("signatures")
        if not isinstance(signatures, list) or len(signatures) != len(hashes):
            raise RemoteSigningError("invalid_response", "not one signature per hash")
        return [base64.b64decode(s) for s in signatures]
