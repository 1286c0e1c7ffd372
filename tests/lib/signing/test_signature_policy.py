"""PAdES-EPES: a signature with a signature policy and a commitment type is read, not refused."""

from __future__ import annotations

import hashlib
import io

from asn1crypto import algos

from signing import pki as demo
from signing.pki import DemoPKI
from signing.report_vi import format_report_vi
from signing.validation import validate_pdf
from tests.fixtures.drafts import draft_pdf

# An example policy OID (the Spanish AGE policy many PAdES-EPES test files use).
POLICY_OID = "2.16.724.1.3.1.1.2.1.9"


def epes_signed_pdf(pki: DemoPKI) -> bytes:
    from pyhanko.keys import load_private_key_from_pemder
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.ades.api import CAdESSignedAttrSpec
    from pyhanko.sign.ades.cades_asn1 import (
        CommitmentTypeIndication,
        SignaturePolicyId,
        SignaturePolicyIdentifier,
    )
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    policy = SignaturePolicyId(
        {
            "sig_policy_id": POLICY_OID,
            "sig_policy_hash": {
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "digest": hashlib.sha256(b"chinh sach chu ky").digest(),
            },
        }
    )
    attributes = CAdESSignedAttrSpec(
        commitment_type=CommitmentTypeIndication({"commitment_type_id": "proof_of_approval"}),
        signature_policy_identifier=SignaturePolicyIdentifier({"signature_policy_id": policy}),
    )
    signer = signers.SimpleSigner(
        signing_cert=pki.cert(demo.LEADER),
        signing_key=load_private_key_from_pemder(pki.key_path(demo.LEADER), passphrase=None),
        cert_registry=SimpleCertificateStore.from_certs(pki.chain(demo.LEADER)),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name="ChuKy",
        subfilter=fields.SigSeedSubFilter.PADES,
        cades_signed_attr_spec=attributes,
    )
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(draft_pdf()))
    signers.sign_pdf(writer, metadata, signer=signer, output=out)
    return out.getvalue()


def test_policy_and_commitment_validate_and_are_reported(demo_pki: DemoPKI) -> None:
    report = validate_pdf(epes_signed_pdf(demo_pki), trust_roots=[demo_pki.root.dump()])

    assert report.verdict == "ok"
    signature = report.signatures[0]
    assert signature.intact and signature.valid and signature.trusted
    assert signature.signature_policy == POLICY_OID
    assert signature.commitment_type == "proof_of_approval"
    assert report.to_dict()["signatures"][0]["signature_policy"] == POLICY_OID
    text = format_report_vi(report)
    assert f"Chính sách chữ ký (OID): {POLICY_OID}" in text
    assert "Loại cam kết: phê duyệt (proof of approval)" in text
