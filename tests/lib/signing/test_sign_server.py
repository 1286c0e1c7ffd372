"""The agency key on a server-attached token: configuration from the environment, one login."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from signing import errors
from signing import pki as demo
from signing.appearance import AgencySealAppearance, draw_seal_image
from signing.pki import DemoPKI
from signing.remote import SignatureFieldSpec, SignatureOptions
from signing.server_signer import ServerSideSigner, ServerTokenConfig
from signing.tokens import LOGINS
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.pki import Tokens
from tests.fixtures.signatures import report


def test_server_side_agency_signer(
    demo_pki: DemoPKI,
    softhsm_tokens: Tokens,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pin_file = tmp_path / "pin"
    pin_file.write_text(softhsm_tokens.agency_pin + "\n")
    config = ServerTokenConfig.from_env(
        {
            "EDOC_AGENCY_TOKEN_MODULE": softhsm_tokens.module,
            "EDOC_AGENCY_TOKEN_LABEL": softhsm_tokens.agency_label,
            "EDOC_AGENCY_TOKEN_CERT_LABEL": demo.AGENCY,
            "EDOC_AGENCY_TOKEN_PIN_FILE": str(pin_file),
        }
    )
    signer = ServerSideSigner(config)
    assert signer.certificate().common_name == "UBND tỉnh Demo"
    caplog.set_level(logging.DEBUG)
    before = LOGINS.count
    results = signer.sign_pdfs(
        [draft_pdf(f"BAN SAO {i}") for i in range(3)],
        options=SignatureOptions(
            field=SignatureFieldSpec("ChuKyCoQuan"),
            appearance=AgencySealAppearance(draw_seal_image("UBND tỉnh Demo")),
            chain=demo_pki.chain(demo.AGENCY),
        ),
        trust_roots=[demo_pki.root],
    )
    assert LOGINS.count - before == 1
    for pdf in results:
        assert isinstance(pdf, bytes)
        assert report(pdf, demo_pki)["ChuKyCoQuan"].ok
    assert softhsm_tokens.agency_pin not in caplog.text
    assert softhsm_tokens.agency_pin not in repr(signer) + repr(config)


def test_missing_pin_is_a_clear_error(softhsm_tokens: Tokens) -> None:
    config = ServerTokenConfig(
        softhsm_tokens.module, softhsm_tokens.agency_label, demo.AGENCY, pin_env=None
    )
    with pytest.raises(errors.TokenError, match="no PIN configured"):
        ServerSideSigner(config).sign_digests([])
