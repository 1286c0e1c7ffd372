"""A stored signature validation report as Vietnamese text and as a printable A4 PDF.

The text comes from :func:`signing.report_vi.format_report_vi` (the same wording as
``edoc verify-pdf``); this module only adds the case the signing library does not know — a paper
original whose signatures were never checked — and lays the lines out on A4 in the registers'
font (Liberation Serif).

The PDF is deterministic: the same report and heading give the same bytes (reportlab's invariant
mode fixes the document ID; the creation date is the report's own validation time), so an
archive package exported twice lists the same digests.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from edoc.core.clock import local_zone
from edoc.reports.tables import escape_markup, register_fonts
from signing.report_vi import format_report_vi
from signing.validation import ValidationReport

TITLE = "BÁO CÁO KIỂM TRA CHỮ KÝ SỐ"
NOT_CHECKED_TEXT = "KẾT LUẬN: Không kiểm tra chữ ký số (văn bản giấy hoặc bản quét)."


def report_text(report: dict[str, Any] | None) -> str:
    """The report in Vietnamese, one line per fact, ending with the verdict (KẾT LUẬN)."""
    if not report or report.get("verdict") == "not_checked":
        return NOT_CHECKED_TEXT
    return format_report_vi(ValidationReport.from_dict(report))


def _validated_at(report: dict[str, Any] | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat((report or {}).get("validated_at") or "")
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _local_time(moment: datetime) -> str:
    local = moment.astimezone(local_zone())
    offset = local.strftime("%z")
    return local.strftime("%d/%m/%Y %H:%M:%S") + f" ({offset[:3]}:{offset[3:]})"


def render_report_pdf(
    report: dict[str, Any] | None, heading: list[tuple[str, str]], title: str = TITLE
) -> bytes:
    """The report on A4 portrait: a title, ``heading`` rows (label, value), then the report."""
    regular, bold = register_fonts()
    title_style = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18, alignment=1)
    label_style = ParagraphStyle("label", fontName=regular, fontSize=10, leading=13)
    line_style = ParagraphStyle("line", fontName=regular, fontSize=10, leading=13, spaceAfter=1)
    indented = ParagraphStyle("indented", parent=line_style, leftIndent=6 * mm)
    verdict_style = ParagraphStyle("verdict", parent=line_style, fontName=bold, spaceBefore=6)

    story: list[Any] = [Paragraph(escape_markup(title), title_style), Spacer(1, 6 * mm)]
    checked = _validated_at(report)
    rows = list(heading)
    if checked is not None:
        rows.append(("Thời điểm kiểm tra", _local_time(checked)))
    for label, value in rows:
        story.append(
            Paragraph(f"<b>{escape_markup(label)}:</b> {escape_markup(value)}", label_style)
        )
    story.append(Spacer(1, 4 * mm))
    for line in report_text(report).splitlines():
        if line.startswith("KẾT LUẬN"):
            style = verdict_style
        elif line.startswith(" "):
            style = indented
        else:
            style = line_style
        story.append(Paragraph(escape_markup(line.strip()), style))

    def decorate(canvas: Any, doc: Any) -> None:
        if checked is not None:  # the PDF's dates are the report's own, not the export's
            offset = checked.utcoffset()
            minutes = int(offset.total_seconds() // 60) if offset else 0
            sign = "+" if minutes >= 0 else "-"
            suffix = f"{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"
            canvas.setDateFormatter(lambda *_parts: checked.strftime("D:%Y%m%d%H%M%S") + suffix)
        canvas.setFont(regular, 8)
        canvas.drawRightString(doc.pagesize[0] - 15 * mm, 8 * mm, f"Trang {doc.page}")

    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
        invariant=1,
    ).build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
