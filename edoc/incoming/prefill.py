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

NUMBER_RE = re.compile(r"Số\s*[:.]?\s*(\d{1,6}\s*/\s*[0-9A-Za-zĐđ]+(?:\s*-\s*[0-9A-Za-zĐđ]+)*)")
LOOSE_NUMBER_RE = re.compile(r"\b(\d{1,6}/[A-ZĐ][0-9A-Za-zĐđ]*(?:-[0-9A-Za-zĐđ]+)+)\b")
DATE_RE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
SUBJECT_RE = re.compile(r"^\s*(V/v\s+.+|Về\s+việc\s+.+)$", re.IGNORECASE | re.MULTILINE)
TYPE_BY_NAME = {name.upper(): code for code, name, _abbr, _lnd in DOCUMENT_TYPES}
TYPE_BY_ABBR = {abbr: code for code, _name, abbr, _lnd in DOCUMENT_TYPES if abbr}
HEADER_SKIP = ("CỘNG HÒA", "CỘNG HOÀ", "ĐỘC LẬP", "SỐ:", "SỐ ")


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

    if match := SUBJECT_RE.search(text):
        guess["subject"] = match.group(1).strip()
    elif doc_type and doc_type != "CV":
        name = next((n for c, n, _a, _l in DOCUMENT_TYPES if c == doc_type), "").upper()
        for index, line in enumerate(lines[:-1]):
            if line.upper() == name:
                guess["subject"] = lines[index + 1]
                break

    header = []
    for line in lines[:6]:
        if line.upper().startswith(HEADER_SKIP) or DATE_RE.search(line):
            break
        if line.isupper():
            header.append(line)
    if signer_org:
        guess["sender_org"] = signer_org
    elif header:
        guess["sender_org"] = " ".join(header[:2])
    if signer_name:
        guess["signer_name"] = signer_name
    return guess
