"""edoc's CSC client (what talks to a commercial provider), against edoc's own CSC service for
the explicit mode, and against a stand-in provider for the asynchronous approval mode."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from flask import Flask

from signing import pki as labels
from signing.csc.client import CSCClient, CSCProviderConfig, RemoteSigningError
from signing.pki import DemoPKI
from signing.remote import SignatureFieldSpec, SignatureOptions, finish, prepare
from tests.fixtures.app import DEMO_PASSWORD
from tests.fixtures.pdfs import text_pdf
from tests.fixtures.remote_signing import give_credential


def test_explicit_mode_signs_through_edocs_service(
    csc_service: Flask, live_server: str, demo_pki: DemoPKI
) -> None:
    remote = give_credential(csc_service)
    token = httpx.post(f"{live_server}/csc/v2/auth/login", auth=("lanhdao", DEMO_PASSWORD)).json()[
        "access_token"
    ]
    config = CSCProviderConfig("edoc", live_server, static_token=token)
    with CSCClient(config) as client:
        assert client.list_credentials() == [remote.credential_id]
        details = client.credential(remote.credential_id)
        assert details.certificate == demo_pki.cert_der(labels.LEADER)
        options = SignatureOptions(SignatureFieldSpec("ChuKy"), chain=demo_pki.chain(labels.LEADER))
        prepared = [
            prepare(text_pdf(f"Văn bản {i}"), signer_cert=details.certificate, options=options)
            for i in range(2)
        ]
        digests = [p.digest_to_sign for p in prepared]
        sad = client.authorize(remote.credential_id, digests, "sha256", remote.code())
        signatures = client.sign_hashes(remote.credential_id, sad, digests, "sha256", "rsa")
        with pytest.raises(RemoteSigningError) as replay:
            client.sign_hashes(remote.credential_id, sad, digests, "sha256", "rsa")
        assert replay.value.code == "sad_replayed"
    for item, signature in zip(prepared, signatures, strict=True):
        finish(item, signature=signature, trust_roots=[demo_pki.root])


def _provider(approve_after: int) -> httpx.MockTransport:
    """A provider asking the leader in its own app: approved after ``approve_after`` polls."""
    polls = {"count": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            assert request.headers["Authorization"].startswith("Basic ")
            assert request.content == b"grant_type=client_credentials"
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        body = json.loads(request.content or b"{}")
        assert request.headers["Authorization"] == "Bearer t"
        if request.url.path.endswith("credentials/authorize"):
            assert "OTP" not in body and body["numSignatures"] == 1
            return httpx.Response(200, json={"authorizationID": "a1"})
        if request.url.path.endswith("credentials/authorizeCheck"):
            polls["count"] += 1
            if polls["count"] >= approve_after:
                return httpx.Response(200, json={"SAD": "sad-from-phone"})
            return httpx.Response(200, json={"status": "pending"})
        if request.url.path.endswith("signatures/signHash"):
            assert body["SAD"] == "sad-from-phone"
            return httpx.Response(200, json={"signatures": [base64.b64encode(b"sig").decode()]})
        return httpx.Response(404, json={"error": "not_found"})

    return httpx.MockTransport(handle)


def _async_config(timeout: float) -> CSCProviderConfig:
    return CSCProviderConfig(
        "nha-cung-cap",
        "https://rs.example.vn",
        token_url="https://rs.example.vn/oauth2/token",
        client_id="edoc",
        client_secret="bí mật",
        auth_mode="async",
        poll_interval_seconds=1,
        poll_timeout_seconds=timeout,
    )


def test_async_mode_polls_until_the_leader_approves() -> None:
    waited: list[float] = []
    with CSCClient(_async_config(60), transport=_provider(3), sleep=waited.append) as client:
        sad = client.authorize("c1", [b"\0" * 32], "sha256", None)
        assert sad == "sad-from-phone" and waited == [1, 1, 1]
        assert client.sign_hashes("c1", sad, [b"\0" * 32], "sha256", "rsa") == [b"sig"]


def test_async_mode_gives_up_at_the_time_out() -> None:
    client = CSCClient(_async_config(0), transport=_provider(99), sleep=lambda _s: None)
    with client, pytest.raises(RemoteSigningError) as refused:
        client.authorize("c1", [b"\0" * 32], "sha256", None)
    assert refused.value.code == "authorization_timeout"
