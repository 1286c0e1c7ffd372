"""Reading a directory file (CSV or XLSX) into rows of text, before anything is checked.

Every file comes from outside and is treated as hostile: its size is bounded before it is read,
an XLSX must be a real zip archive whose members, as their headers declare them, stay small
(Python's zipfile never inflates a member past its declared size, so a decompression bomb is
refused by its headers rather than by running out of memory), only the first sheet is read, in
openpyxl's streaming read-only mode, and formulas are refused, never evaluated. The reading
touches no database: callers run it outside any transaction
(:func:`edoc.core.transactions.outside_transaction`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from openpyxl import load_workbook

from edoc.core.errors import ValidationError
from search.analysis import fold

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 30
MAX_CELL_CHARS = 2_000
MAX_XLSX_MEMBERS = 200
MAX_XLSX_INFLATED_BYTES = 100 * 1024 * 1024

#: The columns of a directory file, by the folded spellings a header may use.
COLUMNS: dict[str, tuple[str, ...]] = {
    "ma_dinh_danh": ("ma dinh danh", "ma", "ma co quan", "code"),
    "ten": ("ten", "ten co quan", "ten co quan, to chuc", "ten co quan to chuc", "name"),
    "ma_cap_tren": ("ma cap tren", "ma co quan cap tren", "parent_code", "parent code"),
    "cap": ("cap", "level"),
    "dia_chi": ("dia chi", "address"),
    "email": ("email", "thu dien tu", "e-mail"),
    "dien_thoai": ("dien thoai", "so dien thoai", "phone"),
}
REQUIRED_COLUMNS = ("ma_dinh_danh", "ten")
_BY_SPELLING = {
    spelling: column
    for column, spellings in COLUMNS.items()
    for spelling in (*spellings, column, column.replace("_", " "))
}


@dataclass(frozen=True)
class SourceRow:
    """One data row: ``number`` as a spreadsheet shows it (the header is row 1), and the text
    of each known column the file has."""

    number: int
    values: dict[str, str]


@dataclass(frozen=True)
class Table:
    name: str
    sha256: str
    columns: tuple[str, ...]  # the known columns the file has, in our order
    rows: list[SourceRow]


class TableUnreadable(ValidationError):
    """The file as a whole cannot be read: wrong kind, too big, no header …"""

    def __init__(self, message: str) -> None:
        super().__init__("directory_file_invalid", message)


def read_table(data: bytes, filename: str) -> Table:
    """The rows of a directory file, chosen by its extension (``.csv`` or ``.xlsx``)."""
    if len(data) > MAX_FILE_BYTES:
        raise TableUnreadable(_("Tệp lớn quá %(mb)d MB.", mb=MAX_FILE_BYTES // (1024 * 1024)))
    extension = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if extension == "csv":
        lines: Iterable[list[Any]] = _csv_rows(data)
    elif extension == "xlsx":
        lines = _xlsx_rows(data)
    else:
        raise TableUnreadable(_("Chỉ nhận tệp .csv (UTF-8) hoặc .xlsx."))
    columns, rows = _rows(iter(lines))
    return Table(filename, hashlib.sha256(data).hexdigest(), columns, rows)


def _rows(lines: Iterator[list[Any]]) -> tuple[tuple[str, ...], list[SourceRow]]:
    header = next(lines, None)
    if header is None:
        raise TableUnreadable(_("Tệp không có dòng nào."))
    positions: dict[str, int] = {}
    for index, cell in enumerate(header[:MAX_COLUMNS]):
        column = _BY_SPELLING.get(_heading(cell))
        if column is not None and column not in positions:
            positions[column] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        raise TableUnreadable(
            _(
                "Dòng đầu của tệp phải là tiêu đề cột, có ít nhất các cột %(c)s.",
                c=", ".join(missing),
            )
        )
    rows: list[SourceRow] = []
    for number, line in enumerate(lines, start=2):
        if number > MAX_ROWS * 2:  # a sheet of blank rows is bounded too
            break
        values = {
            column: _text(line[i]) if i < len(line) else "" for column, i in positions.items()
        }
        if not any(values.values()):
            continue
        if len(rows) == MAX_ROWS:
            raise TableUnreadable(
                _("Tệp có quá %(n)s dòng dữ liệu.", n=f"{MAX_ROWS:,}".replace(",", "."))
            )
        rows.append(SourceRow(number, values))
    columns = tuple(c for c in COLUMNS if c in positions)
    return columns, rows


def _heading(cell: Any) -> str:
    return " ".join(fold(_text(cell)).replace("_", " ").split())


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, datetime | date):
        cell = cell.isoformat()
    return str(cell).strip()[:MAX_CELL_CHARS]


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TableUnreadable(
            _("Tệp CSV phải mã hóa UTF-8 (trong Excel: Lưu thành «CSV UTF-8»).")
        ) from None
    if "\x00" in text:
        raise TableUnreadable(_("Tệp CSV có ký tự không hợp lệ."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as error:
        raise TableUnreadable(_("Tệp CSV không đọc được: %(e)s.", e=str(error))) from None


class _Formula(Exception):
    pass


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    _check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl says nothing useful about a file that is not a workbook
        raise TableUnreadable(_("Tệp không phải là bảng tính Excel (.xlsx) hợp lệ.")) from None
    try:
        if not workbook.worksheets:
            raise TableUnreadable(_("Bảng tính không có trang nào."))
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            if number > MAX_ROWS * 2 + 1:
                return
            for cell in cells:
                if getattr(cell, "data_type", None) == "f":
                    raise TableUnreadable(
                        _(
                            "Ô %(cell)s chứa công thức: chỉ nhận giá trị (sao chép rồi dán "
                            "dạng giá trị).",
                            cell=f"{cell.column_letter}{number}",
                        )
                    )
            yield [cell.value for cell in cells]
    except TableUnreadable:
        raise
    except Exception:  # a damaged sheet inside a well-formed archive
        raise TableUnreadable(_("Trang tính đầu tiên của tệp không đọc được.")) from None
    finally:
        workbook.close()


def _check_archive(data: bytes) -> None:
    """A real zip whose members, as declared, are few and small: checked before openpyxl."""
    if not data.startswith(b"PK\x03\x04"):
        raise TableUnreadable(_("Tệp không phải là bảng tính Excel (.xlsx) hợp lệ."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise TableUnreadable(_("Tệp không phải là bảng tính Excel (.xlsx) hợp lệ.")) from None
    if len(members) > MAX_XLSX_MEMBERS:
        raise TableUnreadable(_("Tệp Excel có quá nhiều thành phần."))
    if sum(member.file_size for member in members) > MAX_XLSX_INFLATED_BYTES:
        raise TableUnreadable(
            _("Tệp Excel khi giải nén lớn quá %(mb)d MB.", mb=MAX_XLSX_INFLATED_BYTES >> 20)
        )
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise TableUnreadable(_("Tệp không phải là bảng tính Excel (.xlsx) hợp lệ."))
