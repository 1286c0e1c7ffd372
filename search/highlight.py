"""Highlight snippets built in Python from the stored text of the page's hits only.

Why here and not with FTS5 ``snippet()``/``ts_headline``: our index is fed folded tokens, so
the engine's own highlighter would show "phong chong bao" instead of what the document says.
Matching token by token on the folded form and slicing the original text keeps the user's
accents and punctuation, costs nothing for the 20 hits of a page, and gives every backend the
same markup. Output is HTML-escaped; only ``<mark>`` is ours.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from search.analysis import ParsedQuery, fold

_WORD_RE = re.compile(r"[^\W_]+")
MARK_OPEN = "<mark>"
MARK_CLOSE = "</mark>"


@lru_cache(maxsize=65536)
def _norm_word(word: str) -> str:
    folded = fold(word)
    if folded.isdigit() and folded.isascii():
        return folded.lstrip("0") or "0"
    return folded


def _spans(text: str, words: set[str]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _WORD_RE.finditer(text) if _norm_word(m.group()) in words]


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    pos = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(MARK_OPEN + html.escape(text[s:e]) + MARK_CLOSE)
        pos = e
    out.append(html.escape(text[pos:end]))
    return "".join(out)


def _matched(text: str | None, query: ParsedQuery) -> tuple[str, list[tuple[int, int]]]:
    """The text in NFC and the spans of its words that the query matches (none for no text)."""
    if not text:
        return "", []
    text = unicodedata.normalize("NFC", text)
    return text, _spans(text, set(query.folded_words()))


def highlight(text: str | None, query: ParsedQuery) -> str | None:
    """The whole (short) text with matched words marked, or None when nothing matched."""
    text, spans = _matched(text, query)
    return _render(text, spans, 0, len(text)) if spans else None


def snippet(text: str | None, query: ParsedQuery, width: int = 220) -> str | None:
    """About ``width`` characters of a long text around its densest cluster of matches."""
    text, spans = _matched(text, query)
    if not spans:
        return None
    best_start, best_count = spans[0][0], 0
    right = 0
    for left, (s, _e) in enumerate(spans):
        right = max(right, left)
        while right + 1 < len(spans) and spans[right + 1][1] - s <= width:
            right += 1
        if right - left + 1 > best_count:
            best_start, best_count = s, right - left + 1
    start = max(0, best_start - width // 4)
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    end = min(len(text), start + width)
    while end < len(text) and not text[end].isspace():
        end += 1
    body = _render(text, spans, start, end)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + body.strip() + suffix
