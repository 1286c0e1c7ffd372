"""The one font edoc prints with: Liberation Serif 2, and a font without Vietnamese refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont

from signing import fonts
from signing.fonts import FontMissing, FontStyle, font_file


def test_every_style_is_liberation_serif_with_vietnamese() -> None:
    for style in FontStyle:
        path = font_file(style)
        assert path.name == f"LiberationSerif-{style.value}.ttf"
        cmap = TTFont(str(path), lazy=True).getBestCmap()
        assert all(ord(letter) in cmap for letter in "ỦỴộởễờợửữỹĐđ")


def _ascii_only_copy(source: Path, target: Path) -> None:
    """What Liberation Serif 1.x is to Vietnamese: the same file name, no ộ, ở, ễ …"""
    font = TTFont(str(source))
    subsetter = subset.Subsetter()
    subsetter.populate(text="".join(chr(c) for c in range(32, 127)))
    subsetter.subset(font)
    font.save(str(target))


def test_a_font_without_vietnamese_letters_is_refused_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    regular = font_file(FontStyle.REGULAR)
    _ascii_only_copy(regular, tmp_path / regular.name)
    monkeypatch.setenv("EDOC_FONT_DIR", str(tmp_path))
    monkeypatch.setattr(fonts, "FONT_DIRS", ())  # nothing installed but the poor copy
    with pytest.raises(FontMissing) as refused:
        font_file(FontStyle.REGULAR)
    assert "fonts-liberation2" in str(refused.value)
    assert f"{tmp_path / regular.name} lacks" in str(refused.value)
    with pytest.raises(FontMissing, match="fonts-liberation2"):
        font_file(FontStyle.ITALIC)  # not there at all


def test_edoc_font_dir_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "LiberationSerif-Bold.ttf"
    shutil.copyfile(font_file(FontStyle.BOLD), copy)
    monkeypatch.setenv("EDOC_FONT_DIR", str(tmp_path))
    assert font_file(FontStyle.BOLD) == copy
    assert font_file(FontStyle.REGULAR).parent != tmp_path  # the others from the system
