"""Reading the words of real PDFs: text layers, OCR of scans, and files that cannot be read."""

from __future__ import annotations

import io

import pikepdf
import pytest

from search.extract import ExtractionError, extract_pdf_text
from tests.search_app.pdfs import scan_pdf, text_pdf


def test_typed_pages_are_read_without_ocr() -> None:
    result = extract_pdf_text(text_pdf("Trang một về đê điều.", "Trang hai về bão lũ."))
    assert result.pages == ["Trang một về đê điều.", "Trang hai về bão lũ."]
    assert result.ocr_pages == [] and result.ocr_pdf is None


def test_a_scanned_page_is_recognised_in_vietnamese() -> None:
    result = extract_pdf_text(scan_pdf("Sơ tán dân cư vùng trũng\nven sông Kỳ Lộ"))
    assert result.ocr_pages == [1]
    assert "Sơ tán dân cư vùng trũng" in result.text and "Kỳ Lộ" in result.text
    assert result.ocr_pdf is not None and result.ocr_pdf.startswith(b"%PDF")
    assert extract_pdf_text(result.ocr_pdf, with_ocr=False).text == result.text


def test_a_blank_scan_yields_no_copy() -> None:
    result = extract_pdf_text(scan_pdf(""))
    assert result.text == "" and result.ocr_pdf is None


def test_without_ocr_a_scan_has_no_text() -> None:
    assert extract_pdf_text(scan_pdf("Kỳ Lộ"), with_ocr=False).text == ""


def _encrypted() -> bytes:
    source = pikepdf.open(io.BytesIO(text_pdf("Bí mật")))
    out = io.BytesIO()
    source.save(out, encryption=pikepdf.Encryption(user="mat-khau", owner="chu-so-huu"))
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (_encrypted(), "encrypted"),
        (b"%PDF-1.7\n garbage that is not a PDF", "unreadable"),
        (b"", "unreadable"),
    ],
    ids=["encrypted", "garbage", "empty"],
)
def test_unreadable_files_raise_a_precise_error(data: bytes, code: str) -> None:
    with pytest.raises(ExtractionError) as raised:
        extract_pdf_text(data)
    assert raised.value.code == code
