"""The one place that says which font files edoc prints with.

ND30 (Appendix I) sets documents in Times New Roman; where it cannot be shipped, a
metric-compatible font keeps lines and pages breaking the same way. We use Liberation Serif 2.x
(Debian ``fonts-liberation2``), or Tinos (``fonts-croscore``), its twin. Every PDF and image
edoc draws text into — draft and demo documents, signature appearances, the seal's text, the
number and date filled in after signing, registers and reports — asks :func:`font_file` for its
file, so changing the font is one edit here.

Why a glyph check: Liberation Serif 1.x (Debian ``fonts-liberation``) has the same file names
but lacks the Vietnamese letters with two marks (ộ, ở, ễ …); pyHanko and reportlab would drop
them silently. A font that lacks them is refused with :class:`FontMissing`, naming the package.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from signing.errors import SigningError


class FontStyle(StrEnum):
    REGULAR = "Regular"
    BOLD = "Bold"
    ITALIC = "Italic"
    BOLD_ITALIC = "BoldItalic"


#: Families tried in order, each by its file name stem (``<stem>-<style>.ttf``).
FAMILIES = ("LiberationSerif", "Tinos")
#: Where Debian installs them; ``EDOC_FONT_DIR`` (a directory holding such files) comes first.
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/croscore"),
    Path("/usr/share/fonts/truetype/liberation"),
)
#: Letters a font must have to print Vietnamese (the two-mark ones are what old fonts lack).
VIETNAMESE_SAMPLE = "ĂÂĐÊÔƠƯăâđêôơưẠẬẶẪỀỂỄỘỞỠỢỨỪỬỮỰỲỶỸỸạậặẫềểễộởỡợứừửữựỳỷỹ"


class FontMissing(SigningError):
    """No usable Times New Roman-metric font with every Vietnamese letter is installed."""

    code = "font_missing"


def font_dirs() -> list[Path]:
    """The directories searched, the ``EDOC_FONT_DIR`` override first."""
    override = os.environ.get("EDOC_FONT_DIR", "").strip()
    return ([Path(override)] if override else []) + list(FONT_DIRS)


@cache
def _missing_letters(path: Path) -> str:
    """The sample letters the font at ``path`` has no glyph for (read once per file)."""
    cmap = TTFont(str(path), lazy=True).getBestCmap() or {}
    return "".join(letter for letter in VIETNAMESE_SAMPLE if ord(letter) not in cmap)


def font_file(style: FontStyle | str = FontStyle.REGULAR) -> Path:
    """The TrueType file of ``style`` in the first family and directory that has it.

    Raises :class:`FontMissing` with the package to install when none is found, or when the only
    one found lacks Vietnamese letters.
    """
    style = FontStyle(style)
    refused: list[str] = []
    for directory in font_dirs():
        for family in FAMILIES:
            path = directory / f"{family}-{style.value}.ttf"
            if not path.is_file():
                continue
            missing = _missing_letters(path)
            if not missing:
                return path
            refused.append(f"{path} lacks {missing[:12]}")
    searched = ", ".join(str(d) for d in font_dirs())
    detail = f" (refused: {'; '.join(refused)})" if refused else ""
    raise FontMissing(
        f"no Liberation Serif 2 or Tinos {style.value} font with every Vietnamese letter in "
        f"{searched}{detail}: install the Debian package fonts-liberation2 (scripts/bootstrap) "
        "or set EDOC_FONT_DIR"
    )
