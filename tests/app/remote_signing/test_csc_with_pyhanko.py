"""A third-party CSC client (pyHanko's ``CSCSigner``) signs a PDF through edoc's CSC service,
the leader's key staying in SoftHSM2; the results validate in pyHanko and poppler's pdfsig."""

from __future__ import annotations

import asyncio
import io
import subprocess
from pathlib import Path

import aiohttp
import httpx
import pytest
from flask import Flask
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCAuthorizationManager,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing.pki import DemoPKI
from tests.fixtures.app import DEMO_PASSWORD
from tests.fixtures.pdfs import text_pdf
from tests.fixtures.remote_signing import RemoteLeader, give_credential


class OtpAuthorization(CSCAuthorizationManager):
    """Authorises each batch with the leader's one-time code, the SAD bound to its hashes."""

    def __init__(self, session: aiohttp.ClientSession, otp: str, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.session, self.otp = session, otp

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        body = self.format_csc_auth_request(otp=self.otp, hash_b64s=hash_b64s)
        async with self.session.post(
            self.csc_session_info.endpoint_url("credentials/authorize"),
            json=body,
            headers=self.auth_headers,
            raise_for_status=True,
        ) as response:
            return self.parse_csc_auth_response(await response.json())


def bearer_token(base_url: str) -> str:
    """edoc's token for the demo leader, through the CSC ``auth/login`` (HTTP Basic)."""
    response = httpx.post(f"{base_url}/csc/v2/auth/login", auth=("lanhdao", DEMO_PASSWORD))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def _sign_with_pyhanko(
    base_url: str, leader: RemoteLeader, otp: str, pdfs: list[bytes]
) -> list[bytes]:
    token = bearer_token(base_url)
    info = CSCServiceSessionInfo(base_url, leader.credential_id, oauth_token=token, api_ver="v2")
    async with aiohttp.ClientSession() as session:
        credential = await fetch_certs_in_csc_credential(session, info)
        assert credential.hash_pinning_required  # SCAL2: every SAD names its hashes
        signer = CSCSigner(
            session,
            OtpAuthorization(session, otp, info, credential),
            batch_size=len(pdfs),
            batch_autocommit=True,
        )
        meta = signers.PdfSignatureMetadata(field_name="ChuKy", md_algorithm="sha256")

        async def one(pdf: bytes) -> bytes:
            out = io.BytesIO()
            await signers.PdfSigner(meta, signer).async_sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out
            )
            return out.getvalue()

        return list(await asyncio.gather(*(one(p) for p in pdfs)))


def sign_with_pyhanko(
    base_url: str, leader: RemoteLeader, otp: str, pdfs: list[bytes]
) -> list[bytes]:
    return asyncio.run(_sign_with_pyhanko(base_url, leader, otp, pdfs))


def test_pyhanko_csc_client_signs_a_batch_with_one_otp(
    csc_service: Flask, live_server: str, demo_pki: DemoPKI, tmp_path: Path
) -> None:
    leader = give_credential(csc_service)
    pdfs = [text_pdf(f"Dự thảo số {i}") for i in range(3)]
    signed = sign_with_pyhanko(live_server, leader, leader.code(), pdfs)
    context = ValidationContext(trust_roots=[demo_pki.root], allow_fetching=False)
    for index, pdf in enumerate(signed):
        embedded = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
        status = validate_pdf_signature(embedded, signer_validation_context=context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.signing_cert.subject.native["common_name"] == "Nguyễn Văn An"
        path = tmp_path / f"signed-{index}.pdf"
        path.write_bytes(pdf)
        report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
        assert "Signature Validation: Signature is Valid." in report, report


def test_a_used_code_cannot_authorise_a_second_batch(csc_service: Flask, live_server: str) -> None:
    leader = give_credential(csc_service)
    code = leader.code()
    sign_with_pyhanko(live_server, leader, code, [text_pdf("Một")])
    with pytest.raises((SigningError, aiohttp.ClientResponseError)):
        sign_with_pyhanko(live_server, leader, code, [text_pdf("Hai")])


def test_the_certificate_chain_is_served_for_the_client_to_embed(
    csc_service: Flask, live_server: str, demo_pki: DemoPKI
) -> None:
    leader = give_credential(csc_service)
    token = bearer_token(live_server)
    info = CSCServiceSessionInfo(live_server, leader.credential_id, oauth_token=token, api_ver="v2")

    async def fetch() -> list[bytes]:
        async with aiohttp.ClientSession() as session:
            credential = await fetch_certs_in_csc_credential(session, info)
            return [credential.signing_cert.dump(), *(c.dump() for c in credential.chain)]

    certificates = asyncio.run(fetch())
    assert certificates[0] == demo_pki.cert_der("leader")
    assert demo_pki.cert_der("issuing-ca") in certificates
