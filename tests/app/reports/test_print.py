"""What edoc prints (ND30): registers in Liberation Serif with every date on one line, the
signer's authority in the outgoing register, the issued date line in italic."""

from __future__ import annotations

import re
import subprocess

from flask import Flask
from flask.testing import FlaskClient
from reportlab.lib.units import mm

from edoc.reports.tables import Column, Table, column_widths, register_fonts
from tests.fixtures.app import login
from tests.fixtures.documents import issued_document, post_incoming
from tests.fixtures.pdfs import pdf_text
from tests.fixtures.pki import Tokens
from tests.fixtures.selfsigned import blank_pdf

DATE = re.compile(r"\d{2}/\d{2}/\d{4}")
DATE_START = re.compile(r"\d{1,2}/\d{1,2}/")  # a token that begins like a date


def _dates(text: str) -> list[str]:
    """Every date token of the text; a date broken over two lines fails here."""
    tokens = [t for t in text.split() if DATE_START.match(t)]
    broken = [t for t in tokens if not DATE.fullmatch(t.rstrip(".,;"))]
    assert not broken, f"dates broken across lines: {broken}\n{text}"
    return tokens


def _fonts(pdf: bytes) -> str:
    done = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def test_incoming_register_prints_each_date_on_one_line(
    client: FlaskClient, clerk: dict[str, str]
) -> None:
    for n in range(3):
        posted = post_incoming(
            client, clerk, blank_pdf(), subject=f"Về việc số {n}", issued_date="2026-01-02"
        )
        assert posted.status_code == 201, posted.get_json()
    pdf = client.get(
        "/api/v1/incoming/register?from=2000-01-01&to=2099-12-31&format=pdf", headers=clerk
    ).data
    dates = _dates(pdf_text(pdf))
    # the period in the heading, then per row the day it came and the document's own date
    assert len(dates) == 2 + 3 * 2
    assert dates.count("02/01/2026") == 3
    assert "LiberationSerif" in _fonts(pdf) and "DejaVu" not in _fonts(pdf)


def test_a_column_is_widened_to_its_longest_word() -> None:
    table = Table(
        "SỔ",
        "",
        [Column("Ngày", 8), Column("Trích yếu nội dung", 80)],
        rows=[["02/01/2026", "Về việc một hai ba"]],
    )
    fonts = register_fonts()
    widths = column_widths(table, fonts, 8)
    assert widths[0] > 8 * mm  # 02/01/2026 needs more than 8 mm
    assert abs(sum(widths) - 88 * mm) < 0.01  # taken from the subject, the page width kept
    wide = Table("SỔ", "", [Column("Ngày", 30), Column("Nội dung", 60)], [["02/01/2026", "x"]])
    assert column_widths(wide, fonts, 8) == [30 * mm, 60 * mm]  # wide enough: as asked


def test_issued_document_date_line_italic_and_register_signer_block(
    trusted_app: Flask, client: FlaskClient, demo: None, agency_token: Tokens
) -> None:
    document_id, clerk = issued_document(client, agency_token)
    issued = client.get(f"/api/v1/documents/{document_id}/file", headers=clerk).data
    fonts = _fonts(issued)
    assert "LiberationSerif-Italic" in fonts  # the place-and-date line filled in at issue
    assert "DejaVu" not in fonts
    text = pdf_text(issued)
    assert re.search(r"ngày \d{2} tháng \d{1,2} năm \d{4}", text)
    assert "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH" in text

    login(client, "vanthu")
    register = client.get("/outgoing/register?from=01/01/2000&to=31/12/2099&format=pdf").data
    text = pdf_text(register)
    _dates(text)
    assert "Nguyễn Văn An" in text
    assert "KT. CHỦ TỊCH, PHÓ CHỦ" in " ".join(text.split())
