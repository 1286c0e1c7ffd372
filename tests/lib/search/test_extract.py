"""Reading the words of real PDFs: text layers, OCR of scans, and files that cannot be read."""

from __future__ import annotations

import io
import signal
import subprocess
import time
from pathlib import Path

import pikepdf
import pytest

from search.extract import DEFAULT_MEMORY_LIMIT_MB, ExtractionError, extract_pdf_text, run_bounded
from tests.fixtures.hostile_pdfs import text_bomb_pdf
from tests.fixtures.pdfs import scan_pdf, text_pdf


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


def test_a_decompression_bomb_is_stopped_on_memory_quickly() -> None:
    """5 kB that inflate to a 2 GB text string (pdftotext reached 2.1 GB resident on it)."""
    started = time.monotonic()
    with pytest.raises(ExtractionError) as raised:
        extract_pdf_text(text_bomb_pdf(), with_ocr=False, memory_limit_mb=256)
    assert raised.value.code == "too_large"
    assert "pdftotext: stopped by SIGABRT (memory limit 256 MB)" in str(raised.value)
    assert time.monotonic() - started < 20


def test_the_memory_limit_leaves_ocr_working() -> None:
    result = extract_pdf_text(scan_pdf("Kỳ Lộ ven sông"), memory_limit_mb=DEFAULT_MEMORY_LIMIT_MB)
    assert "Kỳ Lộ" in result.text


def test_a_timeout_kills_the_whole_process_tree(tmp_path: Path) -> None:
    """A tool's own children die with it (OCRmyPDF's Ghostscript and Tesseract would not)."""
    marker = tmp_path / "grandchild.pid"
    with pytest.raises(subprocess.TimeoutExpired):
        run_bounded(
            ["/bin/sh", "-c", f"sleep 30 & echo $! > {marker}; wait"],
            timeout=1,
            memory_limit_mb=256,
        )
    stat = Path(f"/proc/{int(marker.read_text())}/stat")
    time.sleep(0.2)
    assert not stat.exists() or stat.read_text().split(")")[1].split()[0] == "Z"  # gone or dead


def test_a_tool_that_burns_processor_time_is_stopped_by_its_cpu_limit() -> None:
    """Ended by RLIMIT_CPU, long before the generous elapsed-time limit."""
    done = run_bounded(
        ["/bin/sh", "-c", "while :; do :; done"],
        timeout=300,
        memory_limit_mb=256,
        cpu_seconds=1,
    )
    assert done.returncode in (-signal.SIGXCPU, -signal.SIGKILL)


def test_a_tool_within_its_cpu_limit_runs_normally() -> None:
    done = run_bounded(["echo", "xin chào"], timeout=60, memory_limit_mb=256, cpu_seconds=5)
    assert (done.returncode, done.stdout) == (0, "xin chào\n".encode())
