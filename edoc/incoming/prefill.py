"""Guess the register fields from a document's first page and its signature.

Vietnamese official documents follow the ND30 layout (issuing body top left, "Số: …" under it,
place and date top right, the type in capitals, then "V/v …" or the subject), so a handful of
patterns recovers most fields; the clerk only confirms.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from datetime import date
from typing import Any

from edoc.documents.catalog import DOCUMENT_TYPES
from search.analysis import fold

NUMBER_RE = re.compile(r"Số\s*[:.]?\s*(\d{1,6}\s*/\s*[0-9A-Za-zĐđ]+(?:\s*-\s*[0-9A-Za-zĐđ]+)*)")
LOOSE_NUMBER_RE = re.compile(r"\b(\d{1,6}/[A-ZĐ][0-9A-Za-zĐđ]*(?:-[0-9A-Za-zĐđ]+)+)\b")
DATE_RE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
SUBJECT_RE = re.compile(r"^\s*(V/v\s+.+|Về\s+việc\s+.+)$", re.IGNORECASE | re.MULTILINE)
TYPE_BY_NAME = {name.upper(): code for code, name, _abbr, _lnd in DOCUMENT_TYPES}
TYPE_BY_ABBR = {abbr: code for code, _name, abbr, _lnd in DOCUMENT_TYPES if abbr}
HEADER_SKIP = ("CỘNG HÒA", "CỘNG HOÀ", "ĐỘC LẬP", "SỐ:", "SỐ ")
#: Lines that start what follows a subject: the addressee, the legal bases, the body.
AFTER_SUBJECT = re.compile(r"^(Kính\s+gửi|Căn\s+cứ|Điều\s+\d|Theo\s|Thực\s+hiện|Số\s*[:.])", re.I)
#: A signing authority or a leader's title, the line(s) above the signer's name (ND30).
AUTHORITY = re.compile(
    r"^(TM|KT|Q|TL|TUQ)\.\s|^(PHÓ\s+)?(CHỦ\s+TỊCH|GIÁM\s+ĐỐC|CHÁNH\s+VĂN\s+PHÒNG|TRƯỞNG|"
    r"BÍ\s+THƯ|TỔNG\s+GIÁM\s+ĐỐC|THỦ\s+TRƯỞNG|CỤC\s+TRƯỞNG|VỤ\s+TRƯỞNG|BỘ\s+TRƯỞNG|"
    r"THỨ\s+TRƯỞNG|HIỆU\s+TRƯỞNG|VIỆN\s+TRƯỞNG)\b"
)
#: A person's name: two to six capitalised words of letters (Nguyễn Văn An).
NAME = re.compile(r"^(?:[^\W\d_][^\W\d_]*\s+){1,5}[^\W\d_]+$")
MAX_SUBJECT_LINES = 4


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def guess_fields(first_page: str, signer_name: str = "", signer_org: str = "") -> dict[str, Any]:
    text = _nfc(first_page or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    guess: dict[str, Any] = {}

    match = NUMBER_RE.search(text) or LOOSE_NUMBER_RE.search(text)
    if match:
        guess["number_notation"] = re.sub(r"\s+", "", match.group(1))

    if match := DATE_RE.search(text):
        day, month, year = (int(g) for g in match.groups())
        with contextlib.suppress(ValueError):
            guess["issued_date"] = date(year, month, day).isoformat()

    doc_type = None
    for line in lines:
        code = TYPE_BY_NAME.get(line.upper())
        if code and line.isupper():
            doc_type = code
            break
    if doc_type is None and "number_notation" in guess:
        notation = guess["number_notation"].split("/", 1)[1]
        doc_type = TYPE_BY_ABBR.get(notation.split("-", 1)[0], "CV")
    if doc_type:
        guess["doc_type"] = doc_type

    raw_lines = [line.strip() for line in text.splitlines()]
    if match := SUBJECT_RE.search(text):
        start = text.count("\n", 0, match.start(1))
        guess["subject"] = _whole_subject(raw_lines, start)
    elif doc_type and doc_type != "CV":
        name = next((n for c, n, _a, _l in DOCUMENT_TYPES if c == doc_type), "").upper()
        for index, line in enumerate(raw_lines[:-1]):
            if line.upper() == name:
                following = next(
                    (i for i in range(index + 1, len(raw_lines)) if raw_lines[i]), None
                )
                if following is not None:
                    guess["subject"] = _whole_subject(raw_lines, following)
                break

    header = header_lines(text)
    if signer_org:
        guess["sender_org"] = signer_org
    elif header:
        guess["sender_org"] = " ".join(header[:2])
    if signer_name and _is_agency(signer_name, signer_org):
        signer_name = ""  # an agency's seal certificate: the person is on the page, if anywhere
    if signer_name := signer_name or _signer_on_page(lines):
        guess["signer_name"] = signer_name
    return guess


#: How agencies' names start (a seal's certificate names the agency, not the person).
AGENCY_WORDS = (
    "ubnd",
    "uy ban",
    "hdnd",
    "hoi dong",
    "so ",
    "bo ",
    "cuc ",
    "tong cuc",
    "vu ",
    "van phong",
    "ban ",
    "chi cuc",
    "phong ",
    "trung tam",
    "truong ",
    "benh vien",
    "cong ty",
    "tinh ",
    "huyen ",
    "xa ",
    "thanh pho",
    "quan ",
    "thi xa",
    "ngan hang",
    "kho bac",
    "thanh tra",
)


def _is_agency(name: str, organisation: str) -> bool:
    folded = fold(name).strip()
    return folded == fold(organisation).strip() or folded.startswith(AGENCY_WORDS)


def header_lines(first_page: str) -> list[str]:
    """The issuing body's lines at the top left of page 1 (ND30): its parent, then itself."""
    header = []
    for line in [line.strip() for line in _nfc(first_page or "").splitlines() if line.strip()][:6]:
        if line.upper().startswith(HEADER_SKIP) or DATE_RE.search(line):
            break
        if line.isupper():
            header.append(line)
    return header[:2]


def sender_names(first_page: str, signer_org: str = "") -> list[str]:
    """What may name the sender, surest first: the certificate's organisation, the issuing
    body (the header's last line), the header as one name."""
    header = header_lines(first_page)
    names = [signer_org] if signer_org else []
    if header:
        names += [header[-1], " ".join(header)]
    return names


def _whole_subject(lines: list[str], start: int) -> str:
    """The subject from line ``start`` with the lines that continue it: a subject wraps over
    two or three lines, and ends at a blank line, a line in capitals (the signer's authority,
    the next heading), the place and date, or the first words of what follows it."""
    parts = [lines[start]]
    for line in lines[start + 1 : start + MAX_SUBJECT_LINES]:
        if (
            not line
            or _is_upper(line)
            or DATE_RE.search(line)
            or AFTER_SUBJECT.match(line)
            or line[0] in "-_–—*•+="
        ):
            break
        parts.append(line)
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def _is_upper(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _signer_on_page(lines: list[str]) -> str:
    """The signer's name under the signing authority (a one-page document, or a scan whose
    first page holds the signature): the first name-shaped line after a title in capitals."""
    found = ""
    for index, line in enumerate(lines):
        if not (_is_upper(line) and AUTHORITY.match(line)):
            continue
        for candidate in lines[index + 1 : index + 5]:
            if _is_upper(candidate) or candidate.startswith("("):
                continue  # the title's second line, "(Đã ký)"
            if NAME.match(candidate) and all(word[0].isupper() for word in candidate.split()):
                found = candidate
            break
    return found
