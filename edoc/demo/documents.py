"""Demo documents laid out as ND30 Appendix I asks: as text PDFs, or as "scans" of paper.

One layout (a list of text and line operations in PDF points) is drawn two ways: with reportlab
into a PDF with a text layer (electronic documents and drafts), or with Pillow into a 200 dpi
greyscale page image (a paper original through the scanner: no text layer, only OCR can read
it). The font has ND30's Times New Roman metrics and every Vietnamese glyph (Liberation Serif,
from :func:`signing.fonts.font_file`); the place-and-date line is italic. Outgoing drafts leave
the number and date empty (the clerk fills the form fields after the leader signs) and the
bottom right free for the leader's signature appearance.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from functools import cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from signing.fonts import FontStyle, font_file

WIDTH, HEIGHT = A4  # 595.27 x 841.89 points
SCAN_DPI = 200
FONTS = {
    "r": FontStyle.REGULAR,
    "b": FontStyle.BOLD,
    "i": FontStyle.ITALIC,
    "bi": FontStyle.BOLD_ITALIC,
}
LEFT_CENTRE, RIGHT_CENTRE = 165.0, 420.0
BODY_LEFT, BODY_RIGHT = 72.0, WIDTH - 60.0
BODY_BOTTOM = 262.0  # below: "Nơi nhận" on the left, the signature on the right


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline, from the bottom of the page
    text: str
    font: str = "r"
    size: float = 12.0
    align: str = "left"  # left | centre | right


@dataclass(frozen=True)
class Rule:
    x1: float
    x2: float
    y: float


@dataclass
class Letter:
    """What a one-page official document says; ``number``/``date_line`` None leaves them blank."""

    parent: str  # the body above the issuer ("UBND TỈNH DEMO"), may be empty
    issuer: str  # "SỞ TÀI CHÍNH"
    subject: str
    body: list[str]
    type_title: str | None = None  # "QUYẾT ĐỊNH"; None for an official letter (công văn)
    number: str | None = None
    date_line: str | None = None
    addressee: str = ""  # "Kính gửi: …" of an official letter
    mark: str = ""  # "KHẨN", "HỎA TỐC", "MẬT"
    recipients: list[str] = field(default_factory=list)
    signer_title: str = ""  # printed (incoming); empty leaves the space to the signature field
    signer_name: str = ""


@cache
def _font_name(key: str) -> str:
    name = f"DemoSerif-{key}"
    pdfmetrics.registerFont(TTFont(name, str(font_file(FONTS[key]))))
    return name


def width_of(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, _font_name(font), size)


def wrap(text: str, font: str, size: float, width: float, indent: float = 0.0) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        room = width - (indent if not lines else 0.0)
        if line and width_of(candidate, font, size) > room:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def layout(letter: Letter) -> list[Text | Rule]:
    ops: list[Text | Rule] = []
    top = HEIGHT - 50
    if letter.parent:
        ops.append(Text(LEFT_CENTRE, top, letter.parent, "r", 12, "centre"))
    issuer_lines = letter.issuer.split("\n")
    y = top - (15 if letter.parent else 0)
    for line in issuer_lines:
        ops.append(Text(LEFT_CENTRE, y, line, "b", 12, "centre"))
        y -= 15
    rule = width_of(issuer_lines[-1], "b", 12) / 3
    ops.append(Rule(LEFT_CENTRE - rule, LEFT_CENTRE + rule, y + 10))
    ops.append(Text(RIGHT_CENTRE, top, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "b", 11.5, "centre"))
    motto = "Độc lập - Tự do - Hạnh phúc"
    ops.append(Text(RIGHT_CENTRE, top - 15, motto, "b", 12.5, "centre"))
    half = width_of(motto, "b", 12.5) / 2
    ops.append(Rule(RIGHT_CENTRE - half, RIGHT_CENTRE + half, top - 19))
    # number and date: where the outgoing form fields are (signing.NUMBER_BOX / DATE_BOX)
    if letter.number is not None:
        ops.append(Text(LEFT_CENTRE, 736, f"Số: {letter.number}", "r", 12.5, "centre"))
    if letter.date_line is not None:
        ops.append(Text(RIGHT_CENTRE, 736, letter.date_line, "i", 12.5, "centre"))
    y = 712
    if letter.type_title is None:  # công văn: "V/v …" under the number
        about = letter.subject.removeprefix("Về việc ").removeprefix("về việc ")
        for line in wrap(f"V/v {about}", "r", 11, 200):
            ops.append(Text(LEFT_CENTRE, y, line, "r", 11, "centre"))
            y -= 13
    if letter.mark:
        ops.append(Text(BODY_LEFT, y - 4, letter.mark, "b", 13))
        y -= 18
    y -= 14
    if letter.type_title is not None:
        ops.append(Text(WIDTH / 2, y, letter.type_title, "b", 14, "centre"))
        y -= 18
        for line in wrap(trich_yeu(letter.subject, letter.type_title), "b", 12.5, 400):
            ops.append(Text(WIDTH / 2, y, line, "b", 12.5, "centre"))
            y -= 16
        ops.append(Rule(WIDTH / 2 - 50, WIDTH / 2 + 50, y + 8))
        y -= 14
    if letter.addressee:
        ops.append(Text(WIDTH / 2, y, letter.addressee, "r", 13, "centre"))
        y -= 26
    for paragraph in letter.body:
        for index, line in enumerate(wrap(paragraph, "r", 12.5, BODY_RIGHT - BODY_LEFT, 28)):
            if y < BODY_BOTTOM:
                break
            ops.append(Text(BODY_LEFT + (28 if index == 0 else 0), y, line, "r", 12.5))
            y -= 17
        y -= 4
    y = 240
    if letter.recipients:
        ops.append(Text(60, y, "Nơi nhận:", "bi", 11.5))
        for recipient in letter.recipients[:7]:
            y -= 13
            ops.append(Text(60, y, f"- {recipient};", "r", 10.5))
    if letter.signer_title:
        y = 240
        for line in letter.signer_title.split("\n"):
            ops.append(Text(440, y, line, "b", 12, "centre"))
            y -= 15
        ops.append(Text(440, 122, letter.signer_name, "b", 12.5, "centre"))
    return ops


def trich_yeu(subject: str, type_title: str) -> str:
    """Under the type's name the subject does not repeat it: "KẾ HOẠCH / Cải cách hành chính…"."""
    if subject.lower().startswith(type_title.lower() + " "):
        rest = subject[len(type_title) + 1 :]
        return rest[:1].upper() + rest[1:]
    return subject


def pdf(letter: Letter) -> bytes:
    """The document as a one-page PDF with a text layer."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    page.setTitle(letter.subject)
    page.setAuthor(letter.issuer.replace("\n", " "))
    for op in layout(letter):
        if isinstance(op, Rule):
            page.setLineWidth(0.6)
            page.line(op.x1, op.y, op.x2, op.y)
            continue
        page.setFont(_font_name(op.font), op.size)
        if op.align == "centre":
            page.drawCentredString(op.x, op.y, op.text)
        elif op.align == "right":
            page.drawRightString(op.x, op.y, op.text)
        else:
            page.drawString(op.x, op.y, op.text)
    page.showPage()
    page.save()
    return buffer.getvalue()


@cache
def _pil_font(key: str, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(FONTS[key])), pixels)


def scan_jpeg(letter: Letter, seed: int = 0) -> bytes:
    """A paper original as the scanner saw it: 200 dpi greyscale JPEG, a little skewed and
    speckled, with a red-ink seal over the signature. No text layer anywhere."""
    rng = random.Random(seed)
    scale = SCAN_DPI / 72
    size = (round(WIDTH * scale), round(HEIGHT * scale))
    page = Image.new("L", size, 248)
    draw = ImageDraw.Draw(page)
    ink = rng.randint(15, 45)
    anchors = {"left": "ls", "centre": "ms", "right": "rs"}
    for op in layout(letter):
        if isinstance(op, Rule):
            y = (HEIGHT - op.y) * scale
            draw.line((op.x1 * scale, y, op.x2 * scale, y), fill=ink, width=2)
            continue
        font = _pil_font(op.font, round(op.size * scale))
        xy = (op.x * scale, (HEIGHT - op.y) * scale)
        draw.text(xy, op.text, font=font, fill=ink, anchor=anchors[op.align])
    if letter.signer_name:  # the seal stamped in red ink: greyish on a greyscale scan
        cx, cy, r = 370 * scale, (HEIGHT - 175) * scale, 62 * scale
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=150, width=6)
        draw.ellipse((cx - r * 0.62, cy - r * 0.62, cx + r * 0.62, cy + r * 0.62), outline=160)
    noise = Image.effect_noise(size, 10).point(lambda v: 255 if v > 100 else 0)
    page = Image.composite(page, Image.new("L", size, 200), noise)
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    page = page.rotate(rng.uniform(-0.6, 0.6), fillcolor=248, resample=Image.Resampling.BICUBIC)
    out = io.BytesIO()
    page.save(out, format="JPEG", quality=70, dpi=(SCAN_DPI, SCAN_DPI), optimize=True)
    return out.getvalue()
