"""Taking a file in: spool, check, validate signatures, store — before any database row exists.

Every check that can fail runs before the blob is stored, and the blob is stored before the
caller opens its transaction, so a refused upload leaves nothing behind and an accepted one is
never referenced before its bytes are safe. The checkers run with no transaction open
(``slow_work``): a hostile file must not hold the database while it is read.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from edoc.blobs.service import blob_store, storage_errors
from edoc.core.errors import AppError, ServiceUnavailable
from edoc.core.metrics import SIGNATURE_FAILURES
from edoc.core.transactions import slow_work
from edoc.documents.models import DocumentFile
from search.extract import run_bounded
from signing.errors import ValidationTimeout
from signing.validation import Validator, validate_pdf

PDF_MAGIC = b"%PDF-"
IMAGE_TYPES = {"image/jpeg", "image/png", "image/tiff"}
#: Processor time a check of one uploaded file may use: what tells a hostile file (refused,
#: 422) from a good one. It does not grow when the machine is busy, unlike elapsed time.
CHECK_CPU_SECONDS = 30
#: Elapsed time, a last resort only: on a busy machine a good one-page PDF took over 30 s to
#: check, and was refused as "invalid". Passing it now means "busy, try again" (503).
CHECK_TIMEOUT_SECONDS = 600


class FileRejected(AppError):
    status = 422


PDF_ERRORS = {
    "not_pdf": lambda: _("Tệp không phải là PDF."),
    "malformed_pdf": lambda: _("Tệp PDF bị hỏng, không đọc được."),
    "encrypted_pdf": lambda: _(
        "Tệp PDF đã bị mã hóa (đặt mật khẩu); đề nghị nơi gửi cung cấp bản không mã hóa."
    ),
    "too_large": lambda: _(
        "Tệp quá lớn hoặc quá phức tạp để kiểm tra (vượt giới hạn dung lượng hoặc bộ nhớ cho "
        "phép); tệp không được nhận."
    ),
    "decompression_bomb": lambda: _(
        "Tệp PDF chứa dữ liệu nén bất thường (giải nén ra dung lượng cực lớn, dấu hiệu “bom "
        "giải nén”); tệp không được nhận."
    ),
    "too_complex": lambda: _(
        "Tệp quá phức tạp để kiểm tra (vượt giới hạn thời gian xử lý cho phép); tệp không "
        "được nhận."
    ),
}


@dataclass
class CheckedFile:
    """A file that passed the checks and is safely in the blob store."""

    filename: str
    content_type: str
    sha256: str
    size: int
    page_count: int | None = None
    first_page_text: str = ""
    signature_report: dict[str, Any] | None = None
    active_content: list[str] | None = None  # JavaScript/launch/automatic actions found, if PDF
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def signature_verdict(self) -> str | None:
        return (self.signature_report or {}).get("verdict")

    def signer_name(self) -> str:
        signatures = (self.signature_report or {}).get("signatures") or []
        return signatures[0].get("signer_name", "") if signatures else ""

    def signer_organisation(self) -> str:
        signatures = (self.signature_report or {}).get("signatures") or []
        return signatures[0].get("signer_organization", "") if signatures else ""

    @classmethod
    def signed_pdf(
        cls, filename: str, sha256: str, size: int, signature_report: dict[str, Any]
    ) -> CheckedFile:
        """A PDF the application signed itself and stored (a signed draft, an issued document,
        a signed copy): its check is the signature report it was validated with."""
        return cls(filename, "application/pdf", sha256, size, signature_report=signature_report)

    def as_document_file(self, role: str) -> DocumentFile:
        """A row not attached to any document yet (a draft's appendix); a document's own files
        are added with ``records.add_file(document, role, checked)``."""
        return DocumentFile(
            role=role,
            filename=self.filename,
            content_type=self.content_type,
            sha256=self.sha256,
            size=self.size,
            signature_report=self.signature_report,
            active_content=self.active_content,
        )


@contextmanager
def spooled(upload: FileStorage | IO[bytes]) -> Iterator[Path]:
    """Copy an upload to a private temporary file in bounded chunks (never whole in memory)."""
    with tempfile.TemporaryDirectory(dir=tmp_root()) as directory:
        path = Path(directory) / "upload"
        stream = upload.stream if isinstance(upload, FileStorage) else upload
        with path.open("wb") as out:
            shutil.copyfileobj(stream, out, length=1024 * 1024)
        yield path


# Format characters (bidi overrides and isolates U+202A–E, U+2066–9, marks U+200E/F and U+061C,
# zero-width characters), controls, separators and unassigned code points: none belongs in a file
# name, and bidi controls make "hoadon\u202Efdp.exe" read as "hoadonexe.pdf".
_NAME_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean_filename(name: str) -> str:
    """A file name without control or invisible formatting characters (NFC-normalised)."""
    name = unicodedata.normalize("NFC", name)
    return "".join(c for c in name if unicodedata.category(c) not in _NAME_DROPPED_CATEGORIES)


def _safe_name(name: str | None, fallback: str) -> str:
    cleaned = clean_filename(Path((name or "").replace("\\", "/")).name).strip()
    return cleaned[:255] or fallback


@dataclass(frozen=True)
class PdfCheck:
    page_count: int | None
    signature_report: dict[str, Any] | None  # None when signatures were not asked for
    active_content: list[str]


@contextmanager
def validator_for_many() -> Iterator[Validator]:
    """One long-lived validating child for a run of many files (a migration), bounded per file
    as :func:`check_pdf`'s child per file is; pass it to :func:`check_pdf` as ``validator``."""
    settings = current_app.config["EDOC"]
    with Validator(
        trust_roots=settings.trust_roots(),
        timeout=CHECK_TIMEOUT_SECONDS,
        memory_limit_mb=settings.file_tool_memory_mb,
        cpu_seconds=CHECK_CPU_SECONDS,
    ) as validator:
        yield validator


@slow_work
def check_pdf(
    path: Path, *, validate_signatures: bool, validator: Validator | None = None
) -> PdfCheck:
    """Refuse what is not a readable, unencrypted PDF; say its pages, signatures and whether it
    carries JavaScript or automatic actions (found by the validator's bounded child: a child
    of its own, or the long-lived ``validator`` of a run of many files)."""
    if path.stat().st_size == 0:
        raise FileRejected("empty_file", _("Tệp rỗng (0 byte)."))
    with path.open("rb") as head:
        if PDF_MAGIC not in head.read(1024):
            raise FileRejected("not_pdf", PDF_ERRORS["not_pdf"]())
    report = _validate(path, validator)
    return PdfCheck(
        page_count=page_count(path),
        signature_report=report if validate_signatures else None,
        active_content=list(report.get("active_content", [])),
    )


def _validate(path: Path, validator: Validator | None = None) -> dict[str, Any]:
    settings = current_app.config["EDOC"]
    try:
        if validator is not None:
            report = validator.validate(path)
        else:
            report = validate_pdf(
                path,
                trust_roots=settings.trust_roots(),
                timeout=CHECK_TIMEOUT_SECONDS,
                memory_limit_mb=settings.file_tool_memory_mb,
                cpu_seconds=CHECK_CPU_SECONDS,
            )
    except ValidationTimeout as error:
        SIGNATURE_FAILURES.labels("timeout").inc()
        raise ServiceUnavailable(
            "server_busy",
            _("Máy chủ bận, chưa kiểm tra xong tệp; vui lòng thử lại sau ít phút."),
        ) from error
    except Exception as error:
        code = getattr(error, "code", None)
        SIGNATURE_FAILURES.labels(code if code in PDF_ERRORS else "error").inc()
        if code in PDF_ERRORS:
            raise FileRejected(code, PDF_ERRORS[code](), details={"reason": str(error)}) from error
        raise
    if report.verdict == "invalid":
        SIGNATURE_FAILURES.labels("invalid").inc()
    return report.to_dict()


def run_file_tool(
    command: list[str], timeout: float = CHECK_TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[bytes]:
    """Run a tool on an uploaded file, bounded in processor time, elapsed time and memory."""
    memory_limit_mb = current_app.config["EDOC"].file_tool_memory_mb
    return run_bounded(
        command, timeout=timeout, memory_limit_mb=memory_limit_mb, cpu_seconds=CHECK_CPU_SECONDS
    )


def page_count(path: Path) -> int | None:
    """Pages as poppler counts them (in a child process, bounded in time and memory)."""
    try:
        result = run_file_tool(["pdfinfo", str(path)])
    except (subprocess.TimeoutExpired, FileNotFoundError):
        return None
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":", 1)[1])
    return None


def first_page_text(path: Path) -> str:
    try:
        result = run_file_tool(["pdftotext", "-enc", "UTF-8", "-f", "1", "-l", "1", str(path), "-"])
    except (subprocess.TimeoutExpired, FileNotFoundError):
        return ""
    return result.stdout.decode("utf-8", "replace")[:20000]


def images_to_pdf(paths: list[Path], out: Path) -> None:
    """Combine scanned page images into one PDF without re-encoding them (img2pdf)."""
    import img2pdf  # img2pdf loads Pillow: only scans of paper originals need it

    try:
        out.write_bytes(img2pdf.convert([str(p) for p in paths]))
    except Exception as error:
        raise FileRejected(
            "bad_image", _("Không đọc được ảnh quét; chỉ nhận JPEG, PNG hoặc TIFF.")
        ) from error


def store_path(path: Path) -> tuple[str, int]:
    """Put a file into the blob store; a storage outage becomes a clear 503."""
    with storage_errors(), path.open("rb") as stream:
        info = blob_store().put(stream)
    return info.sha256, info.size


@slow_work
def accept_pdf(
    upload: FileStorage, *, validate_signatures: bool, fallback_name: str = "van-ban.pdf"
) -> CheckedFile:
    with spooled(upload) as path:
        check = check_pdf(path, validate_signatures=validate_signatures)
        text = first_page_text(path)
        sha256, size = store_path(path)
    return CheckedFile(
        filename=_safe_name(upload.filename, fallback_name),
        content_type="application/pdf",
        sha256=sha256,
        size=size,
        page_count=check.page_count,
        first_page_text=text,
        signature_report=check.signature_report,
        active_content=check.active_content,
    )


@slow_work
def accept_scan(uploads: list[FileStorage]) -> CheckedFile:
    """A paper original: one PDF, or page images combined into one PDF in upload order."""
    if len(uploads) == 1 and (uploads[0].mimetype or "") not in IMAGE_TYPES:
        return accept_pdf(uploads[0], validate_signatures=False, fallback_name="ban-quet.pdf")
    with tempfile.TemporaryDirectory(dir=tmp_root()) as directory:
        images: list[Path] = []
        for index, upload in enumerate(uploads):
            target = Path(directory) / f"page-{index:04d}"
            with target.open("wb") as out:
                shutil.copyfileobj(upload.stream, out, length=1024 * 1024)
            images.append(target)
        combined = Path(directory) / "scan.pdf"
        images_to_pdf(images, combined)
        pages = page_count(combined)
        sha256, size = store_path(combined)
    return CheckedFile(
        filename=_safe_name(Path(uploads[0].filename or "ban-quet").stem + ".pdf", "ban-quet.pdf"),
        content_type="application/pdf",
        sha256=sha256,
        size=size,
        page_count=pages,
    )


@slow_work
def accept_attachment(upload: FileStorage) -> CheckedFile:
    with spooled(upload) as path:
        if path.stat().st_size == 0:
            raise FileRejected("empty_file", _("Tệp đính kèm rỗng (0 byte)."))
        sha256, size = store_path(path)
    return CheckedFile(
        filename=_safe_name(upload.filename, "dinh-kem"),
        content_type=upload.mimetype or "application/octet-stream",
        sha256=sha256,
        size=size,
    )


def tmp_root() -> Path:
    root = current_app.config["EDOC"].data_dir / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return root
