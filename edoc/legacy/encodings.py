"""Vietnamese text written in the encodings that came before Unicode, converted to Unicode NFC.

Old e-office exports carry text typed with the ABC fonts (TCVN3, TCVN 5712:1993, ``.VnTime``)
or the VNI fonts (``VNI-Times``). Excel and CSV keep the font's bytes, so the text reads as
Latin-1 look-alikes: ``C«ng v¨n`` (TCVN3) or ``Coâng vaên`` (VNI) for "Công văn". The tables
below are written from the published charts: TCVN3 is one byte per letter (0xA1–0xFF); VNI
writes a base letter followed by a mark byte (``a`` + ``ù`` = á), with a few letters of their
own (``ñ`` = đ, ``ô`` = ơ, ``ö`` = ư, ``ò`` = ị …).

A cell is converted only when the conversion makes it read as Vietnamese where it did not
before (see :func:`fix_text`), and every conversion is listed for the report: a guess the
agency can check, never a silent change.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

# TCVN3 (ABC): code point of the Latin-1 look-alike → the Vietnamese letter.
_TCVN3_CODES = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip
TCVN3_TABLE = {chr(code): letter for code, letter in _TCVN3_CODES.items()}
UNICODE_TO_TCVN3 = {letter: chr(code) for code, letter in _TCVN3_CODES.items()}

# VNI: a base letter and the mark byte that follows it → the Vietnamese letter.
_VNI_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
# After a letter that also takes a hat or breve, the tones are written with other bytes.
_VNI_HAT_TONES = {"á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}
_VNI_BREVE_TONES = {"é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}
_VNI_SINGLE = {
    "ñ": "đ", "Ñ": "Đ", "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư",
    "í": "í", "Í": "Í", "ì": "ì", "Ì": "Ì", "æ": "ỉ", "Æ": "Ỉ",
    "ó": "ĩ", "Ó": "Ĩ", "ò": "ị", "Ò": "Ị", "î": "ỵ", "Î": "Ỵ",
}  # fmt: skip


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _vni_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for base in "aeiouyAEIOUY":
        for mark, tone in _VNI_TONES.items():
            table[base + (mark.upper() if base.isupper() else mark)] = _nfc(base + tone)
    for base in "ôöÔÖ":  # ơ and ư, themselves single VNI bytes, with a tone
        plain = _VNI_SINGLE[base]
        for mark, tone in _VNI_TONES.items():
            table[base + (mark.upper() if base.isupper() else mark)] = _nfc(plain + tone)
    for base in "aeoAEO":  # â ê ô: the hat byte, and hat + tone bytes
        hat = "Â" if base.isupper() else "â"
        table[base + hat] = _nfc(base + "\u0302")
        for mark, tone in _VNI_HAT_TONES.items():
            table[base + (mark.upper() if base.isupper() else mark)] = _nfc(base + "\u0302" + tone)
    for base in "aA":  # ă: the breve byte, and breve + tone bytes
        breve = "Ê" if base.isupper() else "ê"
        table[base + breve] = _nfc(base + "\u0306")
        for mark, tone in _VNI_BREVE_TONES.items():
            table[base + (mark.upper() if base.isupper() else mark)] = _nfc(base + "\u0306" + tone)
    return table


VNI_PAIRS = _vni_table()
UNICODE_TO_VNI = {letter: pair for pair, letter in VNI_PAIRS.items()}
UNICODE_TO_VNI.update({letter: byte for byte, letter in _VNI_SINGLE.items()})

# Latin-1 characters that no Vietnamese text in Unicode contains: their presence says the text
# is in an older encoding (the Vietnamese letters of Latin-1 are left out).
_VIETNAMESE_LATIN1 = set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
_FOREIGN = {chr(code) for code in range(0xA1, 0x100) if chr(code) not in _VIETNAMESE_LATIN1} - {"°"}
# Letter pairs a Unicode Vietnamese text never has but VNI writes for â, ê, ô, ă.
_IMPOSSIBLE = re.compile(r"[aeoAEO][âÂ]|[aA][êÊ]|[aeoAEO][åäÅÄ]|[aA][ëüËÜ]")


# A capital with a mark inside a lower-case word ("TrÝch", "yÕu"): TCVN3 bytes, not a name.
_CAMEL = re.compile(r"[a-zđ][ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ]")


def tcvn3_to_unicode(text: str) -> str:
    return _nfc("".join(TCVN3_TABLE.get(char, char) for char in text))


def vni_to_unicode(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        pair = text[index : index + 2]
        if pair in VNI_PAIRS:
            out.append(VNI_PAIRS[pair])
            index += 2
            continue
        out.append(_VNI_SINGLE.get(text[index], text[index]))
        index += 1
    return _nfc("".join(out))


def unicode_to_tcvn3(text: str) -> str:
    """The other way, for making test exports (lowercase letters and the seven capitals only,
    as the ABC fonts write capitals with their own ``H`` fonts)."""
    return "".join(UNICODE_TO_TCVN3.get(char, char) for char in _nfc(text))


def unicode_to_vni(text: str) -> str:
    return "".join(UNICODE_TO_VNI.get(char, char) for char in _nfc(text))


def _base_and_marks(char: str) -> tuple[str, str]:
    decomposed = unicodedata.normalize("NFD", char.lower())
    return decomposed[:1], decomposed[1:]


def _impossible_vowel_pair(first: str, second: str) -> bool:
    """Two vowels no Vietnamese syllable puts side by side (``aê``, ``oâ``, ``oõ``, ``aờ`` …):
    what one legacy encoding's bytes become when read as the other's."""
    if first.lower() not in "aeo" or not first.isascii():
        return False
    base, marks = _base_and_marks(second)
    if not marks:
        return False
    if first.lower() in "ae":
        return base in "aeo"
    return base == "o" or (base in "ae" and "\u0302" in marks)


def oddity(text: str) -> int:
    """How un-Vietnamese a Unicode text looks: foreign Latin-1 signs and impossible pairs."""
    camel = len(_CAMEL.findall(text))
    pairs = camel + sum(1 for a, b in itertools.pairwise(text) if _impossible_vowel_pair(a, b))
    return sum(1 for char in text if char in _FOREIGN) + len(_IMPOSSIBLE.findall(text)) + pairs


@dataclass(frozen=True)
class Conversion:
    """One cell converted: what was read, what it became, and from which encoding."""

    encoding: str  # "TCVN3" or "VNI"
    before: str
    after: str


def fix_text(text: str) -> tuple[str, Conversion | None]:
    """``text`` in Unicode NFC, converted from TCVN3 or VNI when that makes it Vietnamese.

    A conversion is kept only when the original looks foreign (:func:`oddity`) and the
    converted text looks less so; a tie keeps the text as it was.
    """
    text = _nfc(text)
    score = oddity(text)
    if score == 0 or text.isascii():
        return text, None
    best: tuple[int, str, str] | None = None
    for name, convert in (("TCVN3", tcvn3_to_unicode), ("VNI", vni_to_unicode)):
        converted = convert(text)
        converted_score = oddity(converted)
        if converted_score < score and (best is None or converted_score < best[0]):
            best = (converted_score, name, converted)
    if best is None:
        return text, None
    return best[2], Conversion(best[1], text, best[2])
