"""Every corpus file gets the outcome pyHanko's own tests expect (validated as of 2020-11-01)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from signing.cli_verify import verify_pdf_command
from signing.errors import PdfInputError, ValidationTimeout
from signing.report_vi import format_report_vi
from signing.validation import validate_pdf
from tests.fixtures.corpus import CORPUS_DIR
from tests.fixtures.signatures import good_report

AT = datetime(2020, 11, 1, tzinfo=UTC)
CORPUS_SIGNED = CORPUS_DIR / "signed"

# file -> (verdict, modification level of the first signature, text a problem must mention)
EXPECTED: dict[str, tuple[str, str | None, str]] = {
    "certified-with-indirect-refs-in-dir.pdf": ("ok", "NONE", ""),
    "coverage-anomalies__base.pdf": ("invalid", None, "unreadable signature"),
    "coverage-anomalies__one-byterange.pdf": ("invalid", "OTHER", "coverage"),
    "coverage-anomalies__signature-gap-too-big.pdf": ("invalid", "OTHER", "coverage"),
    "coverage-anomalies__tail-uncovered.pdf": ("invalid", "OTHER", "coverage"),
    "coverage-anomalies__weird-byterange.pdf": ("invalid", "OTHER", "coverage"),
    "ed448-disallowed-hash.pdf": ("invalid", "NONE", "CRYPTO_CONSTRAINTS_FAILURE"),
    "ed448-shake256-nolen.pdf": ("invalid", "NONE", ""),
    "extensions-direct.pdf": ("invalid", "FORM_FILLING", ""),
    "extensions-indirect.pdf": ("invalid", "FORM_FILLING", ""),
    "extensions-update-direct.pdf": ("invalid", "FORM_FILLING", ""),
    "extensions-update-indirect.pdf": ("invalid", "FORM_FILLING", ""),
    "extensions-indirect-not-all-paths.pdf": ("invalid", "OTHER", "DontOverrideMe"),
    "form-update-override-appearance-stream.pdf": ("ok", "FORM_FILLING", ""),
    "form-update-override-appearance-stream-ap-indirect.pdf": ("ok", "FORM_FILLING", ""),
    "form-update-no-override-appearance-stream-ap-indirect.pdf": ("ok", "FORM_FILLING", ""),
    "form-update-original-ap-type-wrong.pdf": ("ok", "FORM_FILLING", ""),
    "form-update-override-appearance-stream-sneaky.pdf": ("invalid", "OTHER", "FooBar"),
    "form-update-override-appearance-stream-ap-indirect-sneaky.pdf": ("invalid", "OTHER", ""),
    "form-update-no-override-appearance-stream-ap-indirect-sneaky.pdf": ("invalid", "OTHER", ""),
    "form-update-ap-indirect-sneaky-trailer.pdf": ("invalid", "OTHER", ""),
    "minimal-two-fields-signed-twice.pdf": ("ok", "FORM_FILLING", ""),
    "minimal-signed-twice-second-created.pdf": ("ok", "FORM_FILLING", ""),
    "minimal-signed-twice-both-created.pdf": ("ok", "FORM_FILLING", ""),
    "minimal-signed-twice-no-sig-type.pdf": ("invalid", "FORM_FILLING", ""),
    "pades-lta-dss-indirect-arrs-test.pdf": ("ok", "LTA_UPDATES", ""),
    "pades-lta-dss-indirect-arrs-test-2.pdf": ("ok", "FORM_FILLING", ""),
    "pades-with-old-style-signing-cert-attr.pdf": ("ok", "NONE", ""),
    "pades-with-old-style-signing-cert-attr-issser.pdf": ("ok", "NONE", ""),
    "pdf-sig-with-econtent.pdf": ("invalid", None, "encapsulated"),
    "separate-annots-kids-indir.pdf": ("ok", "FORM_FILLING", ""),
    "sig-no-signed-attrs.pdf": ("ok", "NONE", ""),
    "sig-with-ski-sid.pdf": ("ok", "NONE", ""),
}
ENCRYPTED_SIGNED = "signed-encrypted-pubkey-with-catalog-ref.pdf"


@pytest.fixture(scope="module")
def signed_dir(corpus_dir: Path) -> Path:
    return corpus_dir / "signed"


def _signed_files() -> list[str]:
    if not CORPUS_SIGNED.is_dir():
        return sorted(EXPECTED)
    return sorted(p.name for p in CORPUS_SIGNED.glob("*.pdf"))


def _malformed_files() -> list[str]:
    folder = CORPUS_SIGNED.parent / "malformed"
    return sorted(p.name for p in folder.glob("*.pdf")) if folder.is_dir() else ["minimal.pdf"]


@pytest.mark.parametrize("name", _signed_files())
def test_signed_corpus_outcome(signed_dir: Path, name: str) -> None:
    path = signed_dir / name
    if name == ENCRYPTED_SIGNED:
        with pytest.raises(PdfInputError) as caught:
            validate_pdf(path, trust_roots=[signed_dir / "certs"], at=AT)
        assert caught.value.code == "encrypted_pdf"
        return
    assert name in EXPECTED, f"new corpus file {name}: add its expected outcome"
    verdict, first_level, mention = EXPECTED[name]
    report = validate_pdf(path, trust_roots=[signed_dir / "certs"], at=AT)
    assert report.verdict == verdict
    first = report.signatures[0]
    assert first.modification_level == first_level
    if mention:
        assert any(mention in problem for s in report.signatures for problem in s.problems) or (
            mention == "coverage" and first.coverage not in {"ENTIRE_FILE", "ENTIRE_REVISION"}
        )
    if verdict == "ok":
        assert all(s.intact and s.valid and s.trusted for s in report.signatures)


def test_shake256_signature_is_cryptographically_valid(signed_dir: Path) -> None:
    report = validate_pdf(signed_dir / "ed448-shake256-nolen.pdf", at=AT)
    assert report.signatures[0].intact and report.signatures[0].valid
    assert report.signatures[0].md_algorithm == "shake256"


def test_untrusted_without_roots(signed_dir: Path) -> None:
    report = validate_pdf(signed_dir / "sig-no-signed-attrs.pdf", at=AT)
    assert report.verdict == "invalid"
    assert report.signatures[0].valid and not report.signatures[0].trusted


@pytest.mark.parametrize("name", _malformed_files())
def test_malformed_corpus_never_crashes(corpus_dir: Path, name: str) -> None:
    """Each file is refused with a precise code, or read as a PDF without signatures."""
    try:
        report = validate_pdf(corpus_dir / "malformed" / name, timeout=30)
    except PdfInputError as error:
        assert error.code in {"malformed_pdf", "encrypted_pdf", "not_pdf"}
        assert str(error)
    else:
        assert report.verdict == "no_signatures"


def test_encrypted_file_says_so(corpus_dir: Path) -> None:
    with pytest.raises(PdfInputError, match="encrypted") as caught:
        validate_pdf(corpus_dir / "malformed" / "minimal-aes256.pdf")
    assert caught.value.code == "encrypted_pdf"


def test_not_a_pdf_at_all() -> None:
    with pytest.raises(PdfInputError) as caught:
        validate_pdf(b"PK\x03\x04 this is a zip file")
    assert caught.value.code == "not_pdf"


def test_timeout_is_enforced(signed_dir: Path) -> None:
    with pytest.raises(ValidationTimeout):
        validate_pdf(signed_dir / "pades-lta-dss-indirect-arrs-test-2.pdf", timeout=0.001)


def test_self_signed_document_ok_with_its_root_only(tmp_path: Path) -> None:
    from tests.fixtures.selfsigned import make_signed_pdf

    pdf, root = make_signed_pdf(tmp_path, "Nguyễn Văn An")
    trusted = validate_pdf(pdf, trust_roots=[root])
    assert trusted.verdict == "ok"
    assert trusted.signatures[0].signer_name == "Nguyễn Văn An"
    assert validate_pdf(pdf).verdict == "invalid"


def test_cli_exit_codes_and_outputs(signed_dir: Path, corpus_dir: Path) -> None:
    runner = CliRunner()
    common = ["--at", "2020-11-01T00:00:00+00:00", "--trust", str(signed_dir / "certs")]
    ok = runner.invoke(
        verify_pdf_command, [str(signed_dir / "minimal-two-fields-signed-twice.pdf"), *common]
    )
    assert ok.exit_code == 0, ok.output
    assert "Thay đổi sau khi ký: điền biểu mẫu (được phép)" in ok.output
    assert "KẾT LUẬN: Tất cả chữ ký số hợp lệ, toàn vẹn và tin cậy." in ok.output

    bad = runner.invoke(
        verify_pdf_command,
        [str(signed_dir / "form-update-override-appearance-stream-sneaky.pdf"), *common, "--json"],
    )
    assert bad.exit_code == 1
    body = json.loads(bad.output)
    assert body["verdict"] == "invalid"
    assert body["signatures"][0]["modification_level"] == "OTHER"
    assert body["signatures"][0]["changes_allowed"] is False

    unreadable = runner.invoke(
        verify_pdf_command,
        [str(corpus_dir / "malformed" / "minimal-startxref-hopeless.pdf"), "--json"],
    )
    assert unreadable.exit_code == 2
    assert json.loads(unreadable.output)["error"]["code"] == "malformed_pdf"


def test_vietnamese_report_time_is_local(tmp_path: Path) -> None:
    moment = datetime(2026, 3, 5, 2, 30, tzinfo=UTC)
    report = good_report(
        "Sig1",
        (moment + timedelta(hours=1)).isoformat(),
        signer_name="Trần Thị Ngọc",
        modification_level="NONE",
        signing_time=moment.isoformat(),
    )
    text = format_report_vi(report)
    assert "Chữ ký 1: Trần Thị Ngọc" in text
    assert "05/03/2026 09:30:00 (+07:00)" in text
