"""Vietnamese text analysis shared by every backend, so all index and query the same tokens.

Each text becomes two aligned token streams: *folded* (NFC, case-folded, no diacritics, đ→d) to
match, *accented* (NFC, case-folded) to rank exact diacritics first. Why not the engines' own
analysers: docs/search.md ("Vietnamese analysis").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

# Bump whenever the tokens produced for the same input change: an index built with another
# version must be rebuilt (backends store it and refuse to mix the two).
ANALYSIS_VERSION = 1

# A token is a run of letters and digits; everything else (space, punctuation, "/", "-",
# FTS operators, quotes, emoji) separates tokens. Underscore is a separator too, as in FTS5.
_TOKEN_RE = re.compile(r"[^\W_]+")
# Tokens longer than this are junk (base64, hashes) and only bloat the index.
MAX_TOKEN_LENGTH = 40


def _build_fold_table() -> dict[int, str | None]:
    """Map every precomposed Latin letter to its base letter, and combining marks to nothing.

    str.translate with a table is ~10x faster than NFD + filtering per call, which matters
    when indexing millions of 120-word bodies.
    """
    table: dict[int, str | None] = {}
    for start, end in ((0x00C0, 0x024F), (0x1E00, 0x1EFF)):
        for code in range(start, end + 1):
            char = chr(code)
            base = "".join(
                c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
            )
            if base != char:
                table[code] = base
    for code in range(0x0300, 0x0370):  # combining diacritical marks left after NFC
        table[code] = None
    # Not a diacritic for Unicode, but for every Vietnamese reader: đ is d with a stroke.
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    return table


_FOLD_TABLE = _build_fold_table()


def accented(text: str) -> str:
    """NFC and case-folded: the form used to reward exact diacritics."""
    return unicodedata.normalize("NFC", text).casefold()


def fold(text: str) -> str:
    """Accent-free, case-folded form with đ→d: the form every match is made on."""
    return accented(text).translate(_FOLD_TABLE)


def _norm_token(token: str) -> str:
    if token.isdigit() and token.isascii():
        stripped = token.lstrip("0")
        return stripped or "0"
    return token


class _TokenForms(dict[str, tuple[str, str] | None]):
    """Raw token → (folded, accented) forms, or None for junk, computed once per distinct token.

    Vietnamese is written in a few thousand syllables, so nearly every token of a body has
    been seen before: a dict hit instead of ``str.translate`` per token (a per-character dict
    walk for non-ASCII text) made analysis about three times faster, the larger part of
    indexing time. The cache stops growing at a bound, so OCR junk cannot fill memory.
    """

    LIMIT = 200_000

    def __missing__(self, raw: str) -> tuple[str, str] | None:
        if len(raw) > MAX_TOKEN_LENGTH:
            forms = None
        else:
            acc = _norm_token(raw)
            forms = (acc.translate(_FOLD_TABLE), acc)
        if len(self) < self.LIMIT:
            self[raw] = forms
        return forms


_FORMS = _TokenForms()


def analyse(text: str | None) -> tuple[list[str], list[str]]:
    """Folded and accented token lists of the same length (position i is the same word)."""
    if not text:
        return [], []
    forms = [f for f in map(_FORMS.__getitem__, _TOKEN_RE.findall(accented(text))) if f]
    return [f[0] for f in forms], [f[1] for f in forms]


def number_tokens(notation: str | None) -> list[str]:
    """Tokens of a document number (số ký hiệu), order kept: '125/QĐ-UBND' → 125 qd ubnd.

    Matching treats them as a set, so '125/QD-UBND', '125 qđ ubnd' and 'qd-ubnd 125' all
    find the same document whatever the accents, case, spacing or separators.
    """
    return analyse(notation)[0]


def number_key(notation: str | None) -> str:
    """Canonical sortable key of a number, for prefix look-ups: '05/QĐ-UBND' → '5 qd ubnd'."""
    return " ".join(number_tokens(notation))


# A document number as typed: digits, then "/" and letter groups joined by "-".
_NUMBER_RE = re.compile(r"^\s*\d+\s*/\s*[^\W\d_][\w]*(?:\s*-\s*[^\W_]+)*\s*$")


def looks_like_number(text: str) -> bool:
    """True for '125/QĐ-UBND', '05/UBND-VP' — queries that name one document."""
    return bool(_NUMBER_RE.match(unicodedata.normalize("NFC", text)))


@dataclass(frozen=True)
class Term:
    """One word of a query, in both forms."""

    folded: str
    accented: str


@dataclass(frozen=True)
class Phrase:
    """Words that must appear next to each other, in order (typed in double quotes)."""

    terms: tuple[Term, ...]


Clause = Term | Phrase


@dataclass(frozen=True)
class ParsedQuery:
    """A user query reduced to clauses that must all match; never carries raw user syntax.

    ``is_number`` marks a query that looks like a document number, which backends use to
    put number-field matches first.
    """

    clauses: tuple[Clause, ...] = ()
    is_number: bool = False
    raw: str = field(default="", compare=False)

    @property
    def empty(self) -> bool:
        return not self.clauses

    def terms(self) -> list[Term]:
        """Every term, phrase members included, in query order."""
        out: list[Term] = []
        for clause in self.clauses:
            out.extend(clause.terms if isinstance(clause, Phrase) else (clause,))
        return out

    def folded_words(self) -> list[str]:
        return [t.folded for t in self.terms()]


def _terms(text: str) -> list[Term]:
    folded, acc = analyse(text)
    return [Term(f, a) for f, a in zip(folded, acc, strict=True)]


MAX_QUERY_TERMS = 32


def parse_query(text: str | None) -> ParsedQuery:
    """Parse what a user typed; never raises, whatever the string.

    Double quotes (straight or curly) delimit phrases; an unclosed quote runs to the end.
    Everything else is literal: AND, OR, NOT, NEAR, *, ^, :, parentheses are just characters
    or words, because operators would surprise clerks far more often than help them.
    """
    if not text:
        return ParsedQuery(raw=text or "")
    normalised = unicodedata.normalize("NFC", str(text))
    for quote in "“”„«»＂":
        normalised = normalised.replace(quote, '"')
    clauses: list[Clause] = []
    seen: set[Clause] = set()
    for index, part in enumerate(normalised.split('"')):
        words = _terms(part)
        if not words:
            continue
        in_quotes = index % 2 == 1
        new: Iterable[Clause] = [Phrase(tuple(words))] if in_quotes and len(words) > 1 else words
        for clause in new:
            if clause not in seen:
                seen.add(clause)
                clauses.append(clause)
    clauses = clauses[:MAX_QUERY_TERMS]
    return ParsedQuery(tuple(clauses), looks_like_number(normalised), raw=text)
