"""What the admin page hands to an import: registers uploaded, and files uploaded as a ZIP or
named as a folder on the server, kept under the data directory until the import is done.

Hostile input stays confined: a register keeps only a clean file name; a ZIP member that
climbs out (``..``, an absolute path, a drive), is a link, or would unpack beyond the limits is
refused before anything is written; a server folder must lie inside ``<data_dir>/legacy-inbox``.
"""

from __future__ import annotations

import shutil
import stat
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from edoc.core.errors import AppError, NotFound
from edoc.documents.files import clean_filename
from edoc.legacy.reading import RegisterError, read_register

MAX_UNPACKED_BYTES = 50 * 1024**3
MAX_MEMBERS = 500_000
REGISTER_SUFFIXES = {".xlsx", ".xlsm", ".csv", ".txt"}


@dataclass(frozen=True)
class Upload:
    """One prepared import: its folder, its registers and its files folder."""

    id: str
    root: Path
    registers: list[Path]
    files_dir: Path


def uploads_root(data_dir: Path) -> Path:
    return data_dir / "legacy-uploads"


def inbox_root(data_dir: Path) -> Path:
    return data_dir / "legacy-inbox"


def _refuse(code: str, message: str) -> AppError:
    return AppError(code, message, 422)


def save_upload(
    data_dir: Path, registers: list[FileStorage], archive: FileStorage | None, server_folder: str
) -> Upload:
    """Keep the uploaded registers and unpack the files; everything refused leaves nothing."""
    registers = [r for r in registers if r and r.filename]
    if not registers:
        raise _refuse("registers_required", _("Cần tải lên ít nhất một sổ (XLSX hoặc CSV)."))
    upload_id = uuid.uuid4().hex
    root = uploads_root(data_dir) / upload_id
    (root / "registers").mkdir(parents=True)
    try:
        saved = []
        for register in registers:
            name = clean_filename(PurePosixPath(register.filename.replace("\\", "/")).name)
            if Path(name).suffix.lower() not in REGISTER_SUFFIXES or name.startswith("."):
                raise _refuse(
                    "register_type", _("Sổ %(n)s không phải tệp XLSX hay CSV.", n=name or "?")
                )
            target = root / "registers" / name
            register.save(target)
            saved.append(target)
        if archive is not None and archive.filename:
            files_dir = root / "files"
            _unpack(archive, files_dir)
        elif server_folder.strip():
            files_dir = _server_folder(data_dir, server_folder.strip())
        else:
            raise _refuse(
                "files_required", _("Cần tải lên tệp ZIP chứa văn bản, hoặc chỉ ra thư mục.")
            )
        (root / "files-dir").write_text(str(files_dir), encoding="utf-8")
        for path in saved:  # a register that cannot be read is refused now, not in the job
            try:
                read_register(path)
            except RegisterError as error:
                raise _refuse(
                    "register_unreadable",
                    _("Không đọc được sổ %(n)s: %(e)s", n=path.name, e=error),
                ) from error
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return Upload(upload_id, root, saved, files_dir)


def _unpack(archive: FileStorage, target: Path) -> None:
    spool = target.with_suffix(".zip")
    archive.save(spool)
    try:
        with zipfile.ZipFile(spool) as bundle:
            members = bundle.infolist()
            if len(members) > MAX_MEMBERS:
                raise _refuse("zip_too_large", _("Tệp ZIP có quá nhiều tệp."))
            if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                raise _refuse("zip_too_large", _("Tệp ZIP giải nén ra quá lớn."))
            for member in members:
                name = member.filename.replace("\\", "/")
                parts = PurePosixPath(name).parts
                mode = member.external_attr >> 16
                if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                    raise _refuse(
                        "zip_path", _("Tệp ZIP chứa đường dẫn ra ngoài thư mục: %(n)s", n=name)
                    )
                if stat.S_ISLNK(mode):
                    raise _refuse("zip_link", _("Tệp ZIP chứa liên kết: %(n)s", n=name))
            target.mkdir(parents=True)
            for member in members:
                if member.is_dir():
                    continue
                destination = target / clean_filename(member.filename.replace("\\", "/"))
                destination.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(member) as source, destination.open("wb") as out:
                    shutil.copyfileobj(source, out, length=1024 * 1024)
    except zipfile.BadZipFile as error:
        raise _refuse("bad_zip", _("Tệp tải lên không phải ZIP hợp lệ.")) from error
    finally:
        spool.unlink(missing_ok=True)


def _server_folder(data_dir: Path, folder: str) -> Path:
    inbox = inbox_root(data_dir).resolve()
    path = (inbox / folder).resolve()
    if not path.is_relative_to(inbox) or not path.is_dir():
        raise _refuse(
            "folder_outside",
            _("Thư mục phải nằm trong %(d)s trên máy chủ.", d=str(inbox)),
        )
    return path


def load_upload(data_dir: Path, upload_id: str) -> Upload:
    if not upload_id.isalnum():
        raise NotFound("upload_not_found", _("Không tìm thấy lần tải lên này."))
    root = uploads_root(data_dir) / upload_id
    marker = root / "files-dir"
    if not marker.is_file():
        raise NotFound("upload_not_found", _("Không tìm thấy lần tải lên này."))
    registers = sorted((root / "registers").iterdir())
    return Upload(upload_id, root, registers, Path(marker.read_text(encoding="utf-8")))
