"""The words of a PDF for the index: its text layer, and OCR for pages that are only images.

Both tools run as child processes with a time limit (poppler's ``pdftotext``; OCRmyPDF driving
Tesseract with the Vietnamese model), so a hostile or enormous file costs a bounded amount of
time and can never take the caller down. OCR also yields a copy of the PDF with an invisible
text layer, which a reader can search and copy from; the original is never modified (a signed
original must stay byte-identical).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# A page with fewer letters than this is taken for a scan (a stamp or a page number is not text).
MIN_PAGE_LETTERS = 20
TEXT_TIMEOUT = 60
OCR_TIMEOUT = 900


class ExtractionError(Exception):
    """The file's text could not be read; ``code`` says why, the message is for operators."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ExtractedText:
    pages: list[str]
    ocr_pages: list[int]  # 1-based numbers of the pages whose text came from OCR
    ocr_pdf: bytes | None  # the PDF with an OCR text layer, when any page needed OCR

    @property
    def text(self) -> str:
        return "\n".join(page for page in self.pages if page)


def _letters(text: str) -> int:
    return sum(1 for char in text if char.isalpha())


def page_texts(pdf: Path) -> list[str]:
    """The text layer of every page, in order (an image-only page gives an empty string)."""
    try:
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            capture_output=True,
            timeout=TEXT_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError("timeout", f"pdftotext took over {TEXT_TIMEOUT} s") from exc
    except FileNotFoundError as exc:
        raise ExtractionError("tool_missing", "pdftotext (poppler-utils) is not installed") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit {done.returncode}"
        code = "encrypted" if "password" in reason.lower() else "unreadable"
        raise ExtractionError(code, f"pdftotext: {reason}")
    pages = done.stdout.decode("utf-8", "replace").split("\f")
    if pages and not pages[-1].strip():
        pages.pop()  # pdftotext ends every page, the last one included, with a form feed
    return [page.strip() for page in pages]


def ocr(pdf: Path, output: Path, language: str = "vie") -> None:
    """Add an OCR text layer to the pages that have none (``--skip-text`` leaves the rest)."""
    command = [
        sys.executable,
        "-m",
        "ocrmypdf",
        "--skip-text",
        "--language",
        language,
        "--output-type",
        "pdf",
        "--optimize",
        "0",
        "--jobs",
        "1",
        "--quiet",
        str(pdf),
        str(output),
    ]
    try:
        done = subprocess.run(command, capture_output=True, timeout=OCR_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError("timeout", f"OCR took over {OCR_TIMEOUT} s") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1] if detail else f"exit {done.returncode}"
        raise ExtractionError("ocr_failed", f"ocrmypdf: {reason}")


def extract_pdf_text(data: bytes, *, with_ocr: bool = True, language: str = "vie") -> ExtractedText:
    """The text of every page; pages without a text layer go through OCR when ``with_ocr``."""
    with tempfile.TemporaryDirectory(prefix="edoc-text-") as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        pages = page_texts(source)
        scanned = [n for n, text in enumerate(pages, start=1) if _letters(text) < MIN_PAGE_LETTERS]
        if not scanned or not with_ocr:
            return ExtractedText(pages=pages, ocr_pages=[], ocr_pdf=None)
        layered = Path(folder) / "ocr.pdf"
        ocr(source, layered, language)
        ocr_texts = page_texts(layered)
        recognised = [
            n
            for n in scanned
            if n <= len(ocr_texts) and _letters(ocr_texts[n - 1]) > _letters(pages[n - 1])
        ]
        if not recognised:  # a short typed page, or a blank one: nothing worth a second copy
            return ExtractedText(pages=pages, ocr_pages=[], ocr_pdf=None)
        for number in recognised:
            pages[number - 1] = ocr_texts[number - 1]
        return ExtractedText(pages=pages, ocr_pages=recognised, ocr_pdf=layered.read_bytes())
