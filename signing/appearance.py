"""Signature appearances as ND30 Appendix I draws them, with every Vietnamese glyph.

Our own stamp class draws the three ND30 layouts (personal, agency seal, text block); text is set
in an embedded, rescaled subset of Liberation Serif (Times New Roman metrics, as ND30 asks;
:mod:`signing.fonts` picks the file) because pyHanko's default font drops letters such as ở.
Why: docs/signing.md ("Appearance").
"""

from __future__ import annotations

import io
import logging
import math
import os
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle
from pyhanko.stamp import BaseStamp, BaseStampStyle

from signing.fonts import FontStyle, font_file

# fontTools reports every table it leaves out of a subset (FFTM, …) at WARNING: noise, not news.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

VN_TZ = timezone(timedelta(hours=7), "ICT")
BLUE = (0.0, 0.0, 0.85)
BLACK = (0.0, 0.0, 0.0)
RGB = tuple[float, float, float]


_FONT_LOCK = threading.Lock()


def embeddable_font(path: str) -> str:
    """A copy of the font scaled to 1000 units per em, cached on disk; returns its path.

    Why: pyHanko's glyph accumulator writes the CIDFont ``/W`` widths in the font's own units,
    while PDF reads them in thousandths of an em. Liberation Serif (like DejaVu) has 2048 units
    per em, so every letter
    would get twice its advance (the "wide spacing" pitfall). Scaling the font's units to 1000 with
    fontTools makes the widths right without touching pyHanko.
    """
    source = Path(path)
    cache = Path(os.environ.get("EDOC_FONT_CACHE", Path(tempfile.gettempdir()) / "edoc-fonts"))
    stamp = int(source.stat().st_mtime)
    target = cache / f"{source.stem}-{stamp}-upm1000{source.suffix}"
    with _FONT_LOCK:
        if target.exists():
            return str(target)
        font = TTFont(str(source))
        if font["head"].unitsPerEm == 1000:
            return str(source)
        scale_upem(font, 1000)
        cache.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        font.save(str(partial))
        partial.replace(target)
    return str(target)


def pdf_font(style: FontStyle | str = FontStyle.REGULAR) -> Any:
    """pyHanko font factory embedding a subset of the (scaled) Vietnamese-capable font."""
    return GlyphAccumulatorFactory(embeddable_font(str(font_file(style))))


def nfc(text: str) -> str:
    """Precomposed form: one glyph per Vietnamese letter (decomposed marks shape badly)."""
    return unicodedata.normalize("NFC", text)


def vn_time(moment: datetime | None = None) -> datetime:
    """``moment`` (default: now) in Vietnam time, +07:00."""
    return (moment or datetime.now(VN_TZ)).astimezone(VN_TZ)


def iso_vn(moment: datetime | None = None) -> str:
    """ISO 8601 with the +07:00 offset, as ND30 wants on copies and appendices."""
    return vn_time(moment).replace(microsecond=0).isoformat()


# --------------------------------------------------------------------------- appearances


@dataclass(frozen=True)
class PersonalAppearance:
    """Personal signature: title line(s), signature image, full name."""

    title: str  # e.g. "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
    full_name: str
    signature_image: bytes  # PNG, transparent background
    font_size: int = 11
    text_color: RGB = BLACK


@dataclass(frozen=True)
class AgencySealAppearance:
    """Agency signature on an original: the seal image only."""

    seal_image: bytes  # PNG, transparent background, red


@dataclass(frozen=True)
class TextStampAppearance:
    """Agency signature on appendices and copies: text only, top right of page 1."""

    agency_name: str
    document_number: str
    signing_time: datetime | None = None  # default: the moment of preparation
    font_size: int = 10
    text_color: RGB = BLUE
    width: float = 220
    height: float = 52
    margin: float = 20


Appearance = PersonalAppearance | AgencySealAppearance | TextStampAppearance


def text_stamp_lines(appearance: TextStampAppearance, moment: datetime | None = None) -> str:
    when = iso_vn(appearance.signing_time or moment)
    return f"{appearance.agency_name}\n{appearance.document_number}\n{when}"


# --------------------------------------------------------------------------- rendering


def _png(data: bytes) -> Any:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGBA")


@dataclass(frozen=True)
class Nd30StampStyle(BaseStampStyle):
    """Centred text lines above and below an optional image; no border by default."""

    top_lines: tuple[str, ...] = ()
    bottom_lines: tuple[str, ...] = ()
    image_png: bytes | None = None
    font_size: int = 11
    bold: bool = True
    text_color: RGB = BLACK
    align: str = "center"  # or "left"
    border_width: int = 0

    def create_stamp(
        self, writer: Any, box: layout.BoxConstraints, text_params: dict[str, Any]
    ) -> Nd30Stamp:
        return Nd30Stamp(writer=writer, style=self, box=box)


class Nd30Stamp(BaseStamp):
    """Draws an :class:`Nd30StampStyle` inside the signature widget's box."""

    def _line(self, text: str, index: int) -> tuple[bytes, float, float]:
        style: Nd30StampStyle = self.style
        box_style = TextBoxStyle(
            font=pdf_font(FontStyle.BOLD if style.bold else FontStyle.REGULAR),
            font_size=style.font_size,
            leading=round(style.font_size * 1.25),
            text_color=style.text_color,
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MIN,
                margins=layout.Margins.uniform(0),
            ),
        )
        tb = TextBox(box_style, writer=self.writer, resources=self.resources, font_name=f"F{index}")
        tb.content = nfc(text)
        commands = tb.render()
        return commands, float(tb.box.width), float(tb.box.height)

    def _place_lines(
        self, lines: tuple[str, ...], top: float, first: int
    ) -> tuple[list[bytes], float]:
        """Lines from ``top`` downwards; returns commands and the y below the last line."""
        out: list[bytes] = []
        width = float(self.box.width)
        y = top
        for offset, text in enumerate(lines):
            commands, w, h = self._line(text, first + offset)
            x = (width - w) / 2 if self.style.align == "center" else 2.0
            y -= h
            # TextBox puts the baseline at the bottom of its box: lift it by the descent so
            # that g, y, p and the dot below ạ, ậ, ợ stay inside the widget
            descent = self.style.font_size * 0.25
            out.append(b"q 1 0 0 1 %g %g cm %s Q" % (x, y + descent, commands))
        return out, y

    def _render_inner_content(self) -> list[bytes]:
        style: Nd30StampStyle = self.style
        width, height = float(self.box.width), float(self.box.height)
        commands, below_title = self._place_lines(style.top_lines, height, 1)
        name_height = len(style.bottom_lines) * round(style.font_size * 1.25)
        name_cmds, _ = self._place_lines(style.bottom_lines, name_height, 100)
        commands += name_cmds
        if style.image_png:
            image = _png(style.image_png)
            room_w, room_h = width, max(below_title - name_height, 1.0)
            scale = min(room_w / image.width, room_h / image.height)
            w, h = image.width * scale, image.height * scale
            x, y = (width - w) / 2, name_height + (room_h - h) / 2
            pdf_image = PdfImage(image, writer=self.writer, box=layout.BoxConstraints(w, h))
            rendered = pdf_image.render()
            self.import_resources(pdf_image.resources)
            commands.append(b"q 1 0 0 1 %g %g cm %s Q" % (x, y, rendered))
        return commands


def stamp_style(appearance: Appearance, moment: datetime | None = None) -> Nd30StampStyle:
    """The pyHanko stamp style that draws ``appearance``."""
    if isinstance(appearance, PersonalAppearance):
        return Nd30StampStyle(
            top_lines=tuple(appearance.title.splitlines()),
            bottom_lines=(appearance.full_name,),
            image_png=appearance.signature_image,
            font_size=appearance.font_size,
            text_color=appearance.text_color,
        )
    if isinstance(appearance, AgencySealAppearance):
        return Nd30StampStyle(image_png=appearance.seal_image)
    return Nd30StampStyle(
        top_lines=tuple(text_stamp_lines(appearance, moment).splitlines()),
        font_size=appearance.font_size,
        text_color=appearance.text_color,
        bold=False,
        align="left",
    )


# --------------------------------------------------------------------------- placement


@dataclass(frozen=True)
class Box:
    """A rectangle on a page, PDF points, origin bottom-left: (x1, y1, x2, y2)."""

    x1: float
    y1: float
    x2: float
    y2: float

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (round(self.x1), round(self.y1), round(self.x2), round(self.y2))

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1


def seal_box_over(personal: Box, image_fraction: float = 1 / 3, size: float = 0.0) -> Box:
    """The seal's box: centred on the personal signature's image band, its right edge a third of
    the way into the signature image from the left, as ND30 Appendix I shows.

    ``size`` defaults to the personal box height minus the text lines (the seal is about the
    height of the signature image band; real seals are 35-45 mm across).
    """
    size = size or min(personal.height * 0.75, 120.0)
    image_left = personal.x1 + personal.width * 0.2
    overlap_x = image_left + personal.width * 0.6 * image_fraction
    centre_y = (personal.y1 + personal.y2) / 2
    return Box(overlap_x - size, centre_y - size / 2, overlap_x, centre_y + size / 2)


def text_stamp_box(page_width: float, page_height: float, appearance: TextStampAppearance) -> Box:
    """Top right corner of a page for the copy/appendix text stamp."""
    x2 = page_width - appearance.margin
    y2 = page_height - appearance.margin
    return Box(x2 - appearance.width, y2 - appearance.height, x2, y2)


# --------------------------------------------------------------------------- demo images


def _font(size: int, style: FontStyle) -> Any:
    return ImageFont.truetype(str(font_file(style)), size)


def draw_signature_image(name: str) -> bytes:
    """A demo handwritten-style signature in blue on a transparent background (PNG).

    Made with Pillow only: the signer's given name in a slanted face with an underline flourish.
    """
    given = nfc(name).split()[-1] if name.strip() else "Ký"
    width, height = 420, 160
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ink = (20, 40, 180, 255)
    font = _font(64, FontStyle.BOLD_ITALIC)
    draw.text((40, 20), given, font=font, fill=ink)
    points = [
        (30 + t * 3.6, 118 - 18 * math.sin(t / 14.0) - (t / 100.0) * 10) for t in range(0, 100)
    ]
    draw.line(points, fill=ink, width=4, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _text_on_circle(
    image: Any, text: str, centre: float, radius: float, font: Any, fill: tuple[int, ...]
) -> None:
    text = nfc(text)
    span = min(300.0, 12.0 * len(text))  # degrees the text covers, centred at the top
    step = span / max(len(text) - 1, 1)
    for index, char in enumerate(text):
        angle = -90 - span / 2 + index * step
        glyph = Image.new("RGBA", (60, 60), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((30, 30), char, font=font, fill=fill, anchor="mm")
        glyph = glyph.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.cos(math.radians(angle)) - 30
        y = centre + radius * math.sin(math.radians(angle)) - 30
        image.alpha_composite(glyph, (round(x), round(y)))


def draw_seal_image(agency: str) -> bytes:
    """A demo round red seal (two rings, agency name around, a star in the middle), PNG."""
    size = 400
    centre = size / 2
    red = (210, 20, 20, 235)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((6, 6, size - 6, size - 6), outline=red, width=10)
    draw.ellipse((70, 70, size - 70, size - 70), outline=red, width=5)
    star = [
        (
            centre + (60 if k % 2 == 0 else 24) * math.cos(math.radians(-90 + k * 36)),
            centre + (60 if k % 2 == 0 else 24) * math.sin(math.radians(-90 + k * 36)),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=red)
    _text_on_circle(image, agency.upper(), centre, 160, _font(30, FontStyle.BOLD), red)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
