"""ND30-shaped draft PDFs and the signature positions the signing tests use."""

from __future__ import annotations

import io

from signing.appearance import Box
from signing.formfields import DATE_FIELD, NUMBER_FIELD, TextFieldSpec

NUMBER_BOX = Box(60, 730, 280, 750)
DATE_BOX = Box(300, 730, 560, 750)
LEADER_BOX = Box(340, 110, 540, 250)
TEXT_FIELDS = (
    TextFieldSpec(NUMBER_FIELD, NUMBER_BOX, font_size=12),
    TextFieldSpec(DATE_FIELD, DATE_BOX, font_size=12),
)


def draft_pdf(title: str = "QUYET DINH", pages: int = 1) -> bytes:
    """A plain A4 draft (ASCII body text: the signature appearance is what we test)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=A4)
    for page in range(pages):
        drawing.setFont("Helvetica-Bold", 14)
        drawing.drawCentredString(297, 680, f"{title} {page + 1}")
        drawing.setFont("Helvetica", 11)
        for line in range(12):
            drawing.drawString(72, 640 - 18 * line, f"Dieu {line + 1}. Noi dung thu nghiem.")
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()
