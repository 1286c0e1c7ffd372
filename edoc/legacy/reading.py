"""Reading an old system's registers: XLSX and CSV, streamed, whatever their encoding and
whichever way their headers and dates were written.

Pure: no database, no Flask. A register is read row by row (openpyxl's read-only mode, the
``csv`` module over a decoding stream), so 200,000 rows never sit in memory at once. What the
reader had to guess (the encoding, the columns, the text it converted from TCVN3 or VNI) is
kept on the reader for the report.
"""

from __future__ import annotations

import codecs
import csv
import re
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from edoc.legacy.encodings import (
    Conversion,
    fix_text,
    oddity,
    tcvn3_to_unicode,
    vni_to_unicode,
)

#: The fields of a register row, with what old systems call their columns (folded: no
#: accents, lower case). The longest name found in a header wins.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "arrival_number": ("so den",),
    "arrival_date": ("ngay den", "ngay nhan"),
    "number_notation": (
        "so ky hieu",
        "so, ky hieu",
        "so/ky hieu",
        "so va ky hieu",
        "so hieu van ban",
        "ky hieu",
    ),
    "issued_date": ("ngay van ban", "ngay ban hanh", "ngay thang van ban", "ngay ky"),
    "subject": ("trich yeu", "trich yeu noi dung", "noi dung"),
    "issuer_org": ("co quan ban hanh", "noi gui", "co quan gui", "noi ban hanh"),
    "signer_name": ("nguoi ky",),
    "urgency": ("do khan",),
    "secrecy": ("do mat",),
    "handling_unit": ("don vi xu ly", "don vi chu tri", "nguoi xu ly"),
    "deadline": ("han xu ly", "han giai quyet"),
    "files": ("tep", "tep dinh kem", "ten tep", "file", "tap tin"),
    "doc_type": ("loai van ban",),
    "recipients": ("noi nhan",),
}
FIELD_LABELS = {
    "arrival_number": "Số đến",
    "arrival_date": "Ngày đến",
    "number_notation": "Số ký hiệu",
    "issued_date": "Ngày văn bản",
    "subject": "Trích yếu",
    "issuer_org": "Cơ quan ban hành / Nơi gửi",
    "signer_name": "Người ký",
    "urgency": "Độ khẩn",
    "secrecy": "Độ mật",
    "handling_unit": "Đơn vị xử lý",
    "deadline": "Hạn xử lý",
    "files": "Tệp",
    "doc_type": "Loại văn bản",
    "recipients": "Nơi nhận",
}
HEADER_SCAN_ROWS = 12
#: CSV files whose bytes are a legacy font's: read as Latin-1, then every cell converted.
LEGACY_CODECS = {"tcvn3": tcvn3_to_unicode, "vni": vni_to_unicode}
SAMPLE_BYTES = 256 * 1024


class RegisterError(Exception):
    """A register that cannot be read at all (no recognisable header, unknown format)."""


def fold(text: str) -> str:
    """Lower case, no accents, đ as d, single spaces: how headers and numbers are compared."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"\s+", " ", text).strip().lower()


def number_key(notation: str) -> str:
    """A document number however it was spelt: ``12/QD-UBND``, ``12 / QĐ - UBND`` and
    ``012/qđ.ubnd`` share one key."""
    folded = fold(notation).upper()
    parts = [p for p in re.split(r"[^0-9A-Z]+", folded) if p]
    return "/".join(p.lstrip("0") or "0" if p.isdigit() else p for p in parts)


def guess_field(header: str) -> str | None:
    folded = fold(header.replace("\n", " "))
    best: tuple[int, str] | None = None
    for name, spellings in FIELD_NAMES.items():
        for spelling in spellings:
            found = re.search(rf"(^|[^a-z]){re.escape(spelling)}($|[^a-z])", folded)
            if found and (best is None or len(spelling) > best[0]):
                best = (len(spelling), name)
    return best[1] if best else None


@dataclass
class Mapping:
    """Which column holds which field, and whether the register is of incoming or outgoing
    documents; guessed from the headers, or given by a mapping file."""

    direction: str
    columns: dict[str, int]
    headers: list[str]
    header_rows: int = 1
    first_data_row: int = 2  # 1-based, as the register's row numbers
    defaults: dict[str, str] = field(default_factory=dict)
    guessed: bool = True

    def describe(self) -> list[dict[str, Any]]:
        """The mapping as the report and the confirmation page show it."""
        return [
            {
                "field": name,
                "label": FIELD_LABELS[name],
                "column": _column_letter(index),
                "header": self.headers[index] if index < len(self.headers) else "",
            }
            for name, index in sorted(self.columns.items(), key=lambda item: item[1])
        ]


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(reference: str, headers: list[str]) -> int:
    if re.fullmatch(r"[A-Z]{1,3}", reference):
        index = 0
        for char in reference:
            index = index * 26 + ord(char) - 64
        return index - 1
    folded = fold(reference)
    for index, header in enumerate(headers):
        if fold(header) == folded:
            return index
    raise RegisterError(f"mapping names column {reference!r}, which is not in the header")


def load_mapping_file(path: Path) -> dict[str, Any]:
    """A mapping file (TOML)::

    direction = "incoming"          # or "outgoing"; guessed when absent
    [columns]                       # field = header text or column letter
    arrival_number = "Số đến"
    subject = "E"
    [defaults]                      # a value for every row where the column is absent
    doc_type = "CV"
    """
    with path.open("rb") as stream:
        data = tomllib.load(stream)
    unknown = set(data.get("columns", {})) - set(FIELD_NAMES)
    if unknown:
        raise RegisterError(f"mapping file: unknown fields {sorted(unknown)}")
    return data


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _find_header(rows: list[list[Any]]) -> tuple[int, int, list[str]]:
    """(index of the first header row, how many rows the header spans, one name per column).

    Headers over two rows (a merged group such as "Văn bản đến" over "Số đến | Ngày đến", or
    a name merged down over both rows) are joined column by column, the group's name carried
    to the right over its merged cells."""
    scores = [sum(1 for value in row if guess_field(_cell_text(value)) is not None) for row in rows]
    if not scores or max(scores) < 2:
        raise RegisterError("no header row with known column names (Số ký hiệu, Trích yếu …)")
    top = scores.index(max(scores))
    first = top
    if top > 0 and _is_group_row(rows[top - 1], rows[top]):
        first = top - 1
    elif top + 1 < len(rows) and scores[top + 1] >= 1 and not _is_data_row(rows[top + 1]):
        first, top = top, top + 1
    if first == top:
        return first, 1, [fix_text(_cell_text(v).strip())[0] for v in rows[top]]
    upper, lower = rows[first], rows[top]
    width = max(len(upper), len(lower))
    names, carried = [], ""
    for index in range(width):
        above = fix_text(_cell_text(upper[index] if index < len(upper) else None).strip())[0]
        below = fix_text(_cell_text(lower[index] if index < len(lower) else None).strip())[0]
        if above:
            carried = above
        elif below == "":
            carried = ""
        names.append(f"{above or carried} {below}".strip() if below else above)
    return first, 2, names


def _is_group_row(upper: list[Any], lower: list[Any]) -> bool:
    """A row above the header that has text over some columns and gaps (merged cells)."""
    texts = [_cell_text(v).strip() for v in upper]
    filled = [t for t in texts if t]
    return bool(filled) and len(filled) < len([v for v in lower if _cell_text(v).strip()])


def _is_data_row(row: list[Any]) -> bool:
    return any(isinstance(v, int | float | datetime | date) for v in row if v is not None)


def _is_column_numbers(row: list[Any]) -> bool:
    """The "(1) (2) (3)" line registers print under their header."""
    texts = [_cell_text(v).strip() for v in row if _cell_text(v).strip()]
    return bool(texts) and all(re.fullmatch(r"\(?\d{1,2}\)?", t) for t in texts)


def guess_mapping(headers: list[str], first_row: int, header_rows: int) -> Mapping:
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = guess_field(header)
        if name is not None and name not in columns:
            columns[name] = index
    direction = "incoming" if "arrival_number" in columns else "outgoing"
    return Mapping(
        direction=direction,
        columns=columns,
        headers=headers,
        header_rows=header_rows,
        first_data_row=first_row + header_rows + 1,
    )


def apply_mapping_file(mapping: Mapping, data: dict[str, Any]) -> Mapping:
    for name, reference in data.get("columns", {}).items():
        mapping.columns[name] = _column_index(str(reference), mapping.headers)
    if data.get("direction") in {"incoming", "outgoing"}:
        mapping.direction = data["direction"]
    mapping.defaults = {k: str(v) for k, v in data.get("defaults", {}).items()}
    mapping.guessed = False
    return mapping


@dataclass
class RawRow:
    """One register row: its 1-based row number in the source and its values by field."""

    number: int
    values: dict[str, Any]
    conversions: list[Conversion]

    def text(self, name: str) -> str:
        value = self.values.get(name)
        return "" if value is None else _cell_text(value).strip()


class RegisterReader:
    """A register file opened for streaming: ``mapping`` is known once it is opened."""

    def __init__(self, path: Path, mapping_file: dict[str, Any] | None = None) -> None:
        self.path = path
        self.encoding = "xlsx"
        self.conversions = 0
        self._first_data_row = 1 << 30  # the header's cells are not listed as conversions
        self.file_conversions: list[tuple[int, Conversion]] = []
        suffix = path.suffix.lower()
        if suffix in {".xlsx", ".xlsm"}:
            self._rows = self._xlsx_rows
        elif suffix in {".csv", ".txt"}:
            self.encoding = detect_csv_encoding(path)
            self._rows = self._csv_rows
        else:
            raise RegisterError(f"{path.name}: only .xlsx and .csv registers are read")
        head: list[list[Any]] = []
        for _number, row in self._rows():
            head.append(row)
            if len(head) >= HEADER_SCAN_ROWS:
                break
        first, header_rows, headers = _find_header(head)
        self.mapping = guess_mapping(headers, first, header_rows)
        if mapping_file:
            self.mapping = apply_mapping_file(self.mapping, mapping_file)
        self._first_data_row = self.mapping.first_data_row

    def _xlsx_rows(self) -> Iterator[tuple[int, list[Any]]]:
        workbook = load_workbook(self.path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(row)
        finally:
            workbook.close()

    def _csv_rows(self) -> Iterator[tuple[int, list[Any]]]:
        codec = "latin-1" if self.encoding in LEGACY_CODECS else self.encoding
        with self.path.open("r", encoding=codec, newline="") as stream:
            sample = stream.read(8192)
            stream.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
            convert = LEGACY_CODECS.get(self.encoding)
            for number, row in enumerate(csv.reader(stream, dialect), start=1):
                if convert is None:
                    yield number, [unicodedata.normalize("NFC", cell) for cell in row]
                    continue
                cells = []
                for cell in row:
                    converted = convert(cell)
                    if converted != cell and number >= self._first_data_row:
                        self.file_conversions.append(
                            (number, Conversion(self.encoding.upper(), cell, converted))
                        )
                    cells.append(converted)
                yield number, cells

    def rows(self) -> Iterator[RawRow]:
        """The data rows, each value decoded to Unicode NFC (TCVN3/VNI text converted)."""
        columns = self.mapping.columns
        for number, row in self._rows():
            if number < self.mapping.first_data_row:
                continue
            if number == self.mapping.first_data_row and _is_column_numbers(row):
                continue
            if not any(_cell_text(v).strip() for v in row):
                continue
            values: dict[str, Any] = {}
            conversions = [c for n, c in self.file_conversions if n == number]
            self.file_conversions.clear()
            for name, index in columns.items():
                value = row[index] if index < len(row) else None
                if isinstance(value, str):
                    value, conversion = fix_text(value)
                    if conversion is not None:
                        conversions.append(conversion)
                values[name] = value
            for name, value in self.mapping.defaults.items():
                if values.get(name) in (None, ""):
                    values[name] = value
            self.conversions += len(conversions)
            yield RawRow(number, values, conversions)


def detect_csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as such; otherwise Windows-1258,
    unless reading the bytes as Latin-1 and converting TCVN3/VNI text reads better."""
    with path.open("rb") as stream:
        sample = stream.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(sample) - 4 and len(sample) == SAMPLE_BYTES:
            return "utf-8"  # a character cut by the end of the sample
    as_1258 = unicodedata.normalize("NFC", sample.decode("cp1258", "replace"))
    as_legacy = sample.decode("latin-1")
    scores = {
        "cp1258": oddity(as_1258),
        "tcvn3": oddity(tcvn3_to_unicode(as_legacy)),
        "vni": oddity(vni_to_unicode(as_legacy)),
    }
    return min(scores, key=lambda name: (scores[name], name != "cp1258"))


# --- values ---------------------------------------------------------------------------

EXCEL_EPOCH = date(1899, 12, 30)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_TEXT_DATE = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{2,4})")


class ValueProblem(ValueError):
    """A value that cannot be read; its message is the report's explanation (Vietnamese)."""


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year <= date.today().year % 100 else 1900
    return year


def parse_date(value: Any) -> date | None:
    """Dates as old registers hold them: Excel dates and serial numbers, ``dd/mm/yyyy``,
    ``d/m/yy``, ``dd-mm-yyyy``, ``yyyy-mm-dd``, and "ngày 5 tháng 3 năm 2019"."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueProblem(f"số ngày Excel không hợp lệ: {value}")
    text = _cell_text(value).strip()
    try:
        if re.fullmatch(r"\d{5}(\.0+)?", text):
            return EXCEL_EPOCH + timedelta(days=int(float(text)))
        if match := _NUMERIC_DATE.match(text):
            day, month, year = match.groups()
            return date(_year(year), int(month), int(day))
        if match := _ISO_DATE.match(text):
            year, month, day = match.groups()
            return date(int(year), int(month), int(day))
        if match := _TEXT_DATE.search(fold(text)):
            day, month, year = match.groups()
            return date(_year(year), int(month), int(day))
    except ValueError:
        raise ValueProblem(f"ngày không có thật: “{text}”") from None
    raise ValueProblem(f"không đọc được ngày: “{text}”")


URGENCY_WORDS = {"": 0, "thuong": 0, "binh thuong": 0, "khan": 1, "thuong khan": 2, "hoa toc": 3}
SECRECY_WORDS = {"": 0, "thuong": 0, "khong": 0, "mat": 1, "toi mat": 2, "tuyet mat": 3}


def parse_level(value: Any, words: dict[str, int], what: str) -> int:
    text = fold(_cell_text(value))
    if text.isdigit() and int(text) in words.values():
        return int(text)
    if text in words:
        return words[text]
    raise ValueProblem(f"{what} không rõ: “{_cell_text(value).strip()}”")


def parse_int(value: Any, what: str) -> int | None:
    text = _cell_text(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{1,9}", text):
        return int(text)
    raise ValueProblem(f"{what} không phải là số: “{text}”")


def file_names(value: Any) -> list[str]:
    """The files a row names (separated by ``;``, ``,`` or new lines)."""
    return [n.strip() for n in re.split(r"[;\n]|,\s", _cell_text(value)) if n.strip()]


def read_register(path: Path, mapping_file: dict[str, Any] | None = None) -> RegisterReader:
    return RegisterReader(path, mapping_file)


__all__ = [
    "FIELD_LABELS",
    "Mapping",
    "RawRow",
    "RegisterError",
    "RegisterReader",
    "ValueProblem",
    "file_names",
    "fold",
    "number_key",
    "parse_date",
    "parse_int",
    "parse_level",
    "read_register",
]
