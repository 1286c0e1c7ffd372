"""Registers and reports as printable PDF (A4 landscape) and as XLSX.

Both renderers take the same :class:`Table`, so the paper register and the spreadsheet always
have the same columns. The PDF is set in Liberation Serif (Times New Roman metrics, as ND30 asks
for what an agency prints; :func:`signing.fonts.font_file` picks the file), which has every
Vietnamese glyph. A column is never narrower than its longest word: a date or a number split
across two lines ("02/01/202" over "6") is misread on paper.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from signing.fonts import FontStyle, font_file

REGULAR, BOLD, ITALIC, BOLD_ITALIC = (
    "EdocSerif",
    "EdocSerif-Bold",
    "EdocSerif-Italic",
    "EdocSerif-BI",
)
CELL_PADDING = 6.0  # points each side: reportlab's default LEFTPADDING and RIGHTPADDING
#: A column is widened to its longest word up to this width; a longer word may still break.
MAX_WORD_WIDTH = 60 * mm


@dataclass(frozen=True)
class Column:
    header: str
    width_mm: float


@dataclass
class Table:
    title: str
    subtitle: str
    columns: list[Column]
    rows: list[list[str]] = field(default_factory=list)
    agency: str = ""
    highlight_rows: set[int] = field(default_factory=set)  # printed in red (overdue)


def dmy(value: date | None) -> str:
    """A date as registers print it (dd/mm/yyyy); an empty cell for none."""
    return format_date(value, "dd/MM/yyyy") if value else ""


def escape_markup(text: str) -> str:
    """``text`` for a reportlab :class:`Paragraph`, which reads its text as markup: a typed
    ``&``, ``<`` or ``>`` prints as itself instead of being taken for a tag or an entity."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_markup_lines(text: str) -> str:
    """:func:`escape_markup`, and each newline a line break: a paragraph otherwise runs the
    lines of ``text`` together."""
    return escape_markup(text).replace("\n", "<br/>")


def register_fonts() -> tuple[str, str]:
    """Register the serif family once (regular, bold, italic, bold italic, so ``<b>`` and
    ``<i>`` in a paragraph work); returns the regular and bold font names."""
    if REGULAR not in pdfmetrics.getRegisteredFontNames():
        for name, style in (
            (REGULAR, FontStyle.REGULAR),
            (BOLD, FontStyle.BOLD),
            (ITALIC, FontStyle.ITALIC),
            (BOLD_ITALIC, FontStyle.BOLD_ITALIC),
        ):
            pdfmetrics.registerFont(TTFont(name, str(font_file(style))))
        pdfmetrics.registerFontFamily(
            REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
        )
    return REGULAR, BOLD


def column_widths(table: Table, fonts: tuple[str, str], size: float) -> list[float]:
    """Each column's width in points: as asked, but never below its longest word (header in
    bold, cells in regular), the room taken from the columns that have more than they need.

    Why: reportlab breaks a word wider than its cell letter by letter. If the columns together
    cannot make room, the asked widths are kept for the columns that cannot give.
    """
    regular, bold = fonts
    asked = [c.width_mm * mm for c in table.columns]
    need = []
    for index, column in enumerate(table.columns):
        words = [(w, bold) for w in column.header.split()]
        words += [(w, regular) for row in table.rows for w in row[index].split()]
        widest = max((pdfmetrics.stringWidth(w, f, size) for w, f in words), default=0.0)
        need.append(min(widest + 2 * CELL_PADDING + 0.5, MAX_WORD_WIDTH))
    short = sum(max(n - a, 0.0) for a, n in zip(asked, need, strict=True))
    slack = [max(a - n, 0.0) for a, n in zip(asked, need, strict=True)]
    if short == 0 or sum(slack) < short:
        return asked
    widths = []
    for a, n, spare in zip(asked, need, slack, strict=True):
        widths.append(n if n > a else a - short * spare / sum(slack))
    return widths


def render_pdf(table: Table) -> bytes:
    regular, bold = register_fonts()
    cell = ParagraphStyle("cell", fontName=regular, fontSize=8, leading=10)
    head = ParagraphStyle("head", parent=cell, fontName=bold, alignment=1)
    title = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18, alignment=1)
    subtitle = ParagraphStyle("subtitle", fontName=regular, fontSize=10, leading=13, alignment=1)
    agency = ParagraphStyle("agency", fontName=bold, fontSize=10, leading=13)

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape_markup_lines(text), style)

    data = [[para(c.header, head) for c in table.columns]]
    data += [[para(value, cell) for value in row] for row in table.rows]
    widths = column_widths(table, (regular, bold), cell.fontSize)
    grid = LongTable(data, colWidths=widths, repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
    ]
    for index in table.highlight_rows:
        style.append(("TEXTCOLOR", (0, index + 1), (-1, index + 1), colors.HexColor("#c62828")))
    grid.setStyle(TableStyle(style))

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=table.title,
        author=table.agency,
    )
    story = []
    if table.agency:
        story.append(para(table.agency.upper(), agency))
    story += [para(table.title, title), para(table.subtitle, subtitle), Spacer(1, 6 * mm), grid]

    def number_pages(canvas, doc) -> None:
        canvas.setFont(regular, 8)
        canvas.drawRightString(doc.pagesize[0] - 12 * mm, 7 * mm, f"Trang {doc.page}")

    document.build(story, onFirstPage=number_pages, onLaterPages=number_pages)
    return buffer.getvalue()


def render_xlsx(table: Table) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.append([table.agency])
    sheet.append([table.title])
    sheet["A2"].font = Font(bold=True, size=14)
    sheet.append([table.subtitle])
    sheet.append([c.header for c in table.columns])
    header_row = sheet.max_row
    for index, column in enumerate(table.columns, start=1):
        header = sheet.cell(row=header_row, column=index)
        header.font = Font(bold=True)
        header.alignment = Alignment(wrap_text=True, vertical="top", horizontal="center")
        header.border = border
        sheet.column_dimensions[get_column_letter(index)].width = max(8, column.width_mm / 2.2)
    for row_index, row in enumerate(table.rows):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = border
            if row_index in table.highlight_rows:
                cell.font = Font(color="C62828")
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.print_options.gridLines = True
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
