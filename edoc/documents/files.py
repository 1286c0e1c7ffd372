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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from edoc.core.transactions import slow_work
from edoc.documents.models import DocumentFile
from edoc.errors import AppError, ServiceUnavailable

PDF_MAGIC = b"%PDF-"
IMAGE_TYPES = {"image/jpeg", "image/png", "image/tiff"}
CHECK_TIMEOUT_SECONDS = 30


class FileRejected(AppError):
    status = 422


PDF_ERRORS = {
    "not_pdf": lambda: _("Tệp không phải là PDF."),
    "malformed_pdf": lambda: _("Tệp PDF bị hỏng, không đọc được."),
    "encrypted_pdf": lambda: _(
        "Tệp PDF đã bị mã hóa (đặt mật khẩu); đề nghị nơi gửi cung cấp bản không mã hóa."
    ),
    "too_large": lambda: _("Tệp quá lớn để kiểm tra."),
    "validation_timeout": lambda: _(
        "Kiểm tra tệp vượt quá thời gian cho phép; cấu trúc tệp có thể bị lỗi."
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

    def as_document_file(self, role: str) -> DocumentFile:
        return DocumentFile(
            role=role,
            filename=self.filename,
            content_type=self.content_type,
            sha256=self.sha256,
            size=self.size,
            signature_report=self.signature_report,
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


def _safe_name(name: str | None, fallback: str) -> str:
    cleaned = Path(name or "").name.replace("\x00", "").strip()
    return cleaned[:255] or fallback


@slow_work
def check_pdf(path: Path, *, validate_signatures: bool) -> tuple[int | None, dict[str, Any] | None]:
    """Refuse what is not a readable, unencrypted PDF; return page count and signature report."""
    if path.stat().st_size == 0:
        raise FileRejected("empty_file", _("Tệp rỗng (0 byte)."))
    with path.open("rb") as head:
        if PDF_MAGIC not in head.read(1024):
            raise FileRejected("not_pdf", PDF_ERRORS["not_pdf"]())
    report = _validate(path)
    if not validate_signatures:
        report = None
    return page_count(path), report


def _validate(path: Path) -> dict[str, Any]:
    from signing.validation import validate_pdf

    settings = current_app.config["EDOC"]
    try:
        report = validate_pdf(
            path, trust_roots=settings.trust_roots(), timeout=CHECK_TIMEOUT_SECONDS
        )
    except Exception as error:
        code = getattr(error, "code", None)
        if code in PDF_ERRORS:
            raise FileRejected(code, PDF_ERRORS[code](), details={"reason": str(error)}) from error
        raise
    return report.to_dict()


def page_count(path: Path) -> int | None:
    """Pages as poppler counts them (in a child process, bounded in time)."""
    try:
        result = subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, text=True, timeout=CHECK_TIMEOUT_SECONDS
        )
    except (subprocess.TimeoutExpired, FileNotFoundError):
        return None
    for line in result.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split(":", 1)[1])
    return None


def first_page_text(path: Path) -> str:
    try:
        result = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-f", "1", "-l", "1", str(path), "-"],
            capture_output=True,
            timeout=CHECK_TIMEOUT_SECONDS,
        )
    except (subprocess.TimeoutExpired, FileNotFoundError):
        return ""
    return result.stdout.decode("utf-8", "replace")[:20000]


def images_to_pdf(paths: list[Path], out: Path) -> None:
    """Combine scanned page images into one PDF without re-encoding them (img2pdf)."""
    import img2pdf

    try:
        out.write_bytes(img2pdf.convert([str(p) for p in paths]))
    except Exception as error:
        raise FileRejected(
            "bad_image", _("Không đọc được ảnh quét; chỉ nhận JPEG, PNG hoặc TIFF.")
        ) from error


def store_path(path: Path) -> tuple[str, int]:
    """Put a file into the blob store; a storage outage becomes a clear 503."""
    from edoc.storage_service import blob_store, storage_errors

    with storage_errors(), path.open("rb") as stream:
        info = blob_store().put(stream)
    return info.sha256, info.size


@slow_work
def accept_pdf(
    upload: FileStorage, *, validate_signatures: bool, fallback_name: str = "van-ban.pdf"
) -> CheckedFile:
    with spooled(upload) as path:
        pages, report = check_pdf(path, validate_signatures=validate_signatures)
        text = first_page_text(path)
        sha256, size = store_path(path)
    return CheckedFile(
        filename=_safe_name(upload.filename, fallback_name),
        content_type="application/pdf",
        sha256=sha256,
        size=size,
        page_count=pages,
        first_page_text=text,
        signature_report=report,
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


def storage_down(error: Exception) -> ServiceUnavailable:
    return ServiceUnavailable(
        "storage_unavailable",
        _("Kho lưu trữ tệp tạm thời không truy cập được; chưa có gì được lưu. Vui lòng thử lại."),
        details={"reason": str(error)},
    )
