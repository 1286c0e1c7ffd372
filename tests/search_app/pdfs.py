"""Vietnamese test PDFs: typed ones with a text layer, and scans that are only an image."""

from __future__ import annotations

import io

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def text_pdf(*pages: str) -> bytes:
    """A PDF with a text layer; each argument is one page, lines split on newlines."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", FONT))
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer)
    for page in pages:
        drawing.setFont("DejaVuSans", 12)
        y = 780
        for line in page.splitlines():
            drawing.drawString(60, y, line)
            y -= 18
        drawing.showPage()
    drawing.save()
    return buffer.getvalue()


def scan_pdf(text: str) -> bytes:
    """A "scanned paper original": the text drawn into a 200 dpi image, no text layer."""
    import img2pdf
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT.replace("DejaVuSans", "DejaVuSerif"), 40)
    y = 200
    for line in text.splitlines():
        draw.text((150, y), line, font=font, fill=0)
        y += 80
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(200, 200))
    return img2pdf.convert(buffer.getvalue())
