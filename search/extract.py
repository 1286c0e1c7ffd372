"""The words of a PDF for the index: its text layer, and OCR for pages that are only images.

Both tools run as child processes with a time limit and a memory limit (poppler's
``pdftotext``; OCRmyPDF driving Ghostscript and Tesseract with the Vietnamese model), so a hostile
or enormous file (a few kB that inflate to gigabytes) costs a bounded amount of time and memory
and can never take the caller, or the machine, down. OCR also yields a copy of the PDF with an
invisible text layer, which a reader can search and copy from; the original is never modified (a
signed original must stay byte-identical).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# A page with fewer letters than this is taken for a scan (a stamp or a page number is not text).
MIN_PAGE_LETTERS = 20
TEXT_TIMEOUT = 60
OCR_TIMEOUT = 900
# Address space per process: a 300 dpi A4 page for Tesseract needs a few hundred MB; pdftotext on
# the 5 kB "string bomb" in tests/hostile_pdfs.py reached 2.1 GB without a limit.
DEFAULT_MEMORY_LIMIT_MB = 1536
# What an allocation failure looks like in the tools' own words (C++, C, Python).
_OUT_OF_MEMORY_SIGNS = ("bad_alloc", "out of memory", "cannot allocate memory", "memoryerror")


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


def run_bounded(
    command: list[str], *, timeout: float, memory_limit_mb: int, cpu_seconds: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` with a wall-clock limit, an address-space limit (RLIMIT_AS) and, when
    ``cpu_seconds`` is given, a processor-time limit (RLIMIT_CPU: SIGXCPU ends the tool).

    The limit is set by ``/bin/sh``'s ``ulimit`` just before ``exec``, not by ``preexec_fn``
    (Python code between fork and exec can deadlock a threaded web server or worker). It is
    inherited by the tool's own children (Ghostscript, Tesseract under OCRmyPDF). The tool runs
    in its own process group, so a timeout kills the whole tree, not just its first process.
    Raises :class:`subprocess.TimeoutExpired` and :class:`FileNotFoundError` like ``run``.
    """
    kilobytes = str(memory_limit_mb * 1024)
    cpu = str(cpu_seconds) if cpu_seconds is not None else "unlimited"
    trampoline = 'ulimit -c 0 && ulimit -v "$0" && ulimit -t "$1" && shift && exec "$@"'
    with subprocess.Popen(
        ["/bin/sh", "-c", trampoline, kilobytes, cpu, *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    if process.returncode == 127 and b"not found" in stderr:
        raise FileNotFoundError(command[0])
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def ran_out_of_memory(done: subprocess.CompletedProcess[bytes]) -> bool:
    """Whether a bounded tool failed for want of memory (killed, or said so)."""
    if done.returncode in (-signal.SIGKILL, -signal.SIGABRT):
        return True
    said = done.stderr.decode("utf-8", "replace").lower()
    return done.returncode != 0 and any(sign in said for sign in _OUT_OF_MEMORY_SIGNS)


def _failure(tool: str, done: subprocess.CompletedProcess[bytes], memory_limit_mb: int) -> str:
    if done.returncode < 0:
        stopped_by = signal.Signals(-done.returncode).name
        return f"{tool}: stopped by {stopped_by} (memory limit {memory_limit_mb} MB)"
    detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return f"{tool}: {detail[-1] if detail else f'exit {done.returncode}'}"


def page_texts(pdf: Path, memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB) -> list[str]:
    """The text layer of every page, in order (an image-only page gives an empty string)."""
    try:
        done = run_bounded(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            timeout=TEXT_TIMEOUT,
            memory_limit_mb=memory_limit_mb,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError("timeout", f"pdftotext took over {TEXT_TIMEOUT} s") from exc
    except FileNotFoundError as exc:
        raise ExtractionError("tool_missing", "pdftotext (poppler-utils) is not installed") from exc
    if ran_out_of_memory(done):
        raise ExtractionError("too_large", _failure("pdftotext", done, memory_limit_mb))
    if done.returncode != 0:
        reason = _failure("pdftotext", done, memory_limit_mb)
        raise ExtractionError("encrypted" if "password" in reason.lower() else "unreadable", reason)
    pages = done.stdout.decode("utf-8", "replace").split("\f")
    if pages and not pages[-1].strip():
        pages.pop()  # pdftotext ends every page, the last one included, with a form feed
    return [page.strip() for page in pages]


def ocr(
    pdf: Path,
    output: Path,
    language: str = "vie",
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
) -> None:
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
        done = run_bounded(command, timeout=OCR_TIMEOUT, memory_limit_mb=memory_limit_mb)
    except subprocess.TimeoutExpired as exc:
        raise ExtractionError("timeout", f"OCR took over {OCR_TIMEOUT} s") from exc
    if ran_out_of_memory(done):
        raise ExtractionError("too_large", _failure("ocrmypdf", done, memory_limit_mb))
    if done.returncode != 0:
        raise ExtractionError("ocr_failed", _failure("ocrmypdf", done, memory_limit_mb))


def extract_pdf_text(
    data: bytes,
    *,
    with_ocr: bool = True,
    language: str = "vie",
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
) -> ExtractedText:
    """The text of every page; pages without a text layer go through OCR when ``with_ocr``.

    Each tool is held to ``memory_limit_mb``; a file that needs more raises
    :class:`ExtractionError` with code ``too_large``.
    """
    with tempfile.TemporaryDirectory(prefix="edoc-text-") as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        pages = page_texts(source, memory_limit_mb)
        scanned = [n for n, text in enumerate(pages, start=1) if _letters(text) < MIN_PAGE_LETTERS]
        if not scanned or not with_ocr:
            return ExtractedText(pages=pages, ocr_pages=[], ocr_pdf=None)
        layered = Path(folder) / "ocr.pdf"
        ocr(source, layered, language, memory_limit_mb)
        ocr_texts = page_texts(layered, memory_limit_mb)
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
