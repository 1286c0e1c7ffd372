"""Two-step signing on real SoftHSM tokens and the demo PKI: prepare → token → finish."""

from __future__ import annotations

import json
from datetime import date

import pytest
from asn1crypto import cms

from signing import errors
from signing import pki as demo
from signing.appearance import (
    AgencySealAppearance,
    draw_seal_image,
    seal_box_over,
)
from signing.batch import sign_digests
from signing.formfields import field_values, fill_number_and_date
from signing.pki import DemoPKI
from signing.remote import (
    PreparedSignature,
    SignatureFieldSpec,
    SignatureOptions,
    finish,
    prepare,
    run_async,
)
from signing.tokens import LOGINS, CertificateSelector
from tests.fixtures.drafts import LEADER_BOX, draft_pdf
from tests.fixtures.pki import Tokens, pyhanko_signer
from tests.fixtures.signatures import (
    leader_signed,
    prepare_leader,
    report,
    sign_on_token,
)


def test_prepare_survives_restart_as_json(demo_pki: DemoPKI, softhsm_tokens: Tokens) -> None:
    prepared = prepare_leader(demo_pki, draft_pdf())
    # the app stores the JSON in its database and the prepared PDF as a blob
    stored_json = prepared.to_json(include_pdf=False)
    stored_pdf = prepared.prepared_pdf
    del prepared
    state = json.loads(stored_json)
    assert state["version"] == 1 and state["level"] == "B-B"
    assert "prepared_pdf" not in state and len(state["reserved_region"]) == 2

    restored = PreparedSignature.from_json(stored_json, prepared_pdf=stored_pdf)
    signature = sign_on_token(softhsm_tokens, demo.LEADER, softhsm_tokens.leader_pin, restored)
    signed = finish(restored, signature=signature, trust_roots=[demo_pki.root])

    sig = report(signed, demo_pki)["ChuKyLanhDao"]
    assert sig.ok and sig.signer_name == "Nguyễn Văn An" and sig.pades_level == "B-B"
    assert field_values(signed) == {"so_ky_hieu": None, "ngay_ban_hanh": None}


def test_state_with_embedded_pdf_and_tampering_detected(demo_pki: DemoPKI) -> None:
    prepared = prepare_leader(demo_pki, draft_pdf())
    again = PreparedSignature.from_json(prepared.to_json())
    assert again.digest_to_sign == prepared.digest_to_sign
    with pytest.raises(errors.SignatureRejected):
        PreparedSignature.from_json(prepared.to_json(False), prepared.prepared_pdf + b"\n")


def test_signature_from_wrong_key_is_rejected(demo_pki: DemoPKI, softhsm_tokens: Tokens) -> None:
    prepared = prepare_leader(demo_pki, draft_pdf())
    wrong = sign_on_token(softhsm_tokens, demo.AGENCY, softhsm_tokens.agency_pin, prepared)
    with pytest.raises(errors.SignatureRejected) as info:
        finish(prepared, signature=wrong)
    assert info.value.code == "signature_rejected"


def test_finish_accepts_a_complete_cms(demo_pki: DemoPKI, softhsm_tokens: Tokens) -> None:
    """An agent may return a full CMS (here built by pyHanko's own PKCS#11 signer)."""
    prepared = prepare_leader(demo_pki, draft_pdf())
    tokens = softhsm_tokens
    with pyhanko_signer(
        tokens.module, tokens.leader_label, tokens.leader_pin, demo_pki, demo.LEADER
    ) as signer:
        content = run_async(
            signer.async_sign_prescribed_attributes(
                "sha256", signed_attrs=cms.CMSAttributes.load(prepared.signed_attributes)
            )
        )
    signed = finish(prepared, cms_bytes=content.dump(), trust_roots=[demo_pki.root])
    assert report(signed, demo_pki)["ChuKyLanhDao"].ok
    with pytest.raises(errors.SignatureRejected):
        other = prepare_leader(demo_pki, draft_pdf("KHAC"))
        finish(other, cms_bytes=content.dump())


def test_number_and_date_fill_in_then_agency_signature(
    demo_pki: DemoPKI, softhsm_tokens: Tokens
) -> None:
    signed = leader_signed(demo_pki, softhsm_tokens)
    filled = fill_number_and_date(signed, "125/QĐ-UBND", date(2026, 2, 5), place="Hà Nội")
    assert field_values(filled) == {
        "so_ky_hieu": "Số: 125/QĐ-UBND",
        "ngay_ban_hanh": "Hà Nội, ngày 05 tháng 02 năm 2026",
    }
    after_fill = report(filled, demo_pki)["ChuKyLanhDao"]
    assert after_fill.ok and after_fill.modification_level == "FORM_FILLING"

    agency = prepare(
        filled,
        signer_cert=demo_pki.cert(demo.AGENCY),
        options=SignatureOptions(
            field=SignatureFieldSpec("ChuKyCoQuan", seal_box_over(LEADER_BOX)),
            appearance=AgencySealAppearance(draw_seal_image("UBND tỉnh Demo")),
            chain=demo_pki.chain(demo.AGENCY),
        ),
    )
    signature = sign_on_token(softhsm_tokens, demo.AGENCY, softhsm_tokens.agency_pin, agency)
    final = finish(agency, signature=signature, trust_roots=[demo_pki.root])
    sigs = report(final, demo_pki)
    assert sigs["ChuKyLanhDao"].ok and sigs["ChuKyLanhDao"].modification_level == "FORM_FILLING"
    assert sigs["ChuKyCoQuan"].ok and sigs["ChuKyCoQuan"].coverage == "ENTIRE_FILE"
    assert sigs["ChuKyCoQuan"].signer_name == "UBND tỉnh Demo"


def test_changing_the_page_after_signing_is_not_form_filling(
    demo_pki: DemoPKI, softhsm_tokens: Tokens
) -> None:
    """Control for the test above: writing on the page instead of the field is caught."""
    import io

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.stamp import TextStampStyle

    signed = leader_signed(demo_pki, softhsm_tokens)
    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    TextStampStyle(stamp_text="Số 125").create_stamp(writer, None, {}).apply(0, 60, 700)
    out = io.BytesIO()
    writer.write(out)
    assert not report(out.getvalue(), demo_pki)["ChuKyLanhDao"].ok


def test_pades_b_t_with_the_tsa(demo_pki: DemoPKI, softhsm_tokens: Tokens) -> None:
    signed = leader_signed(demo_pki, softhsm_tokens, "B-T")
    sig = report(signed, demo_pki)["ChuKyLanhDao"]
    assert sig.ok and sig.pades_level == "B-T" and sig.timestamp_time


def test_pades_b_lt_embeds_revocation_data(demo_pki: DemoPKI, softhsm_tokens: Tokens) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    signed = leader_signed(demo_pki, softhsm_tokens, "B-LT")
    import io

    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(signed), strict=False))
    assert dss.ocsps or dss.crls
    sig = report(signed, demo_pki)["ChuKyLanhDao"]
    assert sig.ok and sig.pades_level == "B-LT"


def test_batch_of_documents_with_one_login(demo_pki: DemoPKI, softhsm_tokens: Tokens) -> None:
    prepared = [prepare_leader(demo_pki, draft_pdf(f"VAN BAN {i}")) for i in range(5)]
    before = LOGINS.count
    result = sign_digests(
        softhsm_tokens.module,
        CertificateSelector(label=demo.LEADER),
        [p.digest_item(str(i)) for i, p in enumerate(prepared)],
        softhsm_tokens.leader_pin,
    )
    assert LOGINS.count - before == 1
    assert result.complete and result.error is None
    for i, p in enumerate(prepared):
        signed = finish(p, signature=result.signatures[str(i)], trust_roots=[demo_pki.root])
        assert report(signed, demo_pki)["ChuKyLanhDao"].ok


def test_token_removed_mid_batch(
    demo_pki: DemoPKI, softhsm_tokens: Tokens, removable_token: str
) -> None:
    """The token's files vanish after the second signature, as when the USB token is pulled."""
    from signing.tokens import list_tokens

    serial = next(
        t.serial for t in list_tokens(softhsm_tokens.module) if t.label == removable_token
    )
    prepared = [prepare_leader(demo_pki, draft_pdf(f"VAN BAN {i}")) for i in range(4)]

    def pull_out(item_id: str, index: int) -> None:
        if index == 1:
            softhsm_tokens.hsm.remove_token_files(serial)

    result = sign_digests(
        softhsm_tokens.module,
        CertificateSelector(token_label=removable_token, label=demo.LEADER),
        [p.digest_item(str(i)) for i, p in enumerate(prepared)],
        softhsm_tokens.leader_pin,
        on_signed=pull_out,
    )
    assert sorted(result.signatures) == ["0", "1"]
    assert result.not_signed == ["2", "3"]
    assert result.error is not None and result.error.code == "token_removed"
    assert result.to_dict()["error"]["code"] == "token_removed"
    for i in (0, 1):
        signed = finish(prepared[i], signature=result.signatures[str(i)])
        assert report(signed, demo_pki)["ChuKyLanhDao"].ok
