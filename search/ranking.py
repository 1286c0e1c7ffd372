"""Relevance for the database backends: score a bounded candidate set in Python.

bm25/ts_rank look at every match (about 1 s per common query at a million documents); instead a
few newest-K candidate sets are scored on the short fields. The candidate queries and the
measurements: docs/search.md ("Ranking a bounded candidate set").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from search.analysis import ParsedQuery, Phrase, analyse, number_tokens


class Found(StrEnum):
    """Which candidate query found a row: the backends' candidate sets, and ranking signals."""

    NUMBER = "number"  # the document number's tokens
    EXACT_PHRASE = "exact_phrase"  # the words, exact diacritics, as a phrase in the short fields
    HEAD = "head"  # every word in the number, subject or type/sender/signer/unit
    ACCENTED = "accented"  # every word with its exact diacritics, anywhere
    PHRASE = "phrase"  # every word, next to each other and in order, anywhere (body included)
    ANY = "any"  # every word, anywhere


def rank_text(subject: str | None, number_notation: str | None, meta: str | None) -> str:
    """What ranking needs of a document, analysed once at index time and stored with it:
    folded subject, accented subject, folded meta, number tokens — tab-separated."""
    subj_f, subj_a = analyse(subject)
    return "\t".join(
        (
            " ".join(subj_f),
            " ".join(subj_a),
            " ".join(analyse(meta)[0]),
            " ".join(number_tokens(number_notation)),
        )
    )


@dataclass
class Candidate:
    """A matched row with the fields ranking looks at; ``order`` is the index sort key
    (higher = newer) used to break ties."""

    order: int
    subj_f: list[str]
    subj_a: list[str]
    meta_f: list[str]
    num: list[str]
    found: set[Found]
    score: float = 0.0

    @classmethod
    def from_rank_text(cls, order: int, text: str, found: set[Found]) -> Candidate:
        parts = (text or "").split("\t")
        parts += [""] * (4 - len(parts))
        return cls(
            order, parts[0].split(), parts[1].split(), parts[2].split(), parts[3].split(), found
        )


def _contains_sequence(haystack: list[str], needle: list[str]) -> bool:
    if not needle or len(needle) > len(haystack):
        return False
    first = needle[0]
    width = len(needle)
    return any(
        haystack[i] == first and haystack[i : i + width] == needle
        for i in range(len(haystack) - width + 1)
    )


def score(query: ParsedQuery, cand: Candidate) -> float:
    """Weighted evidence; the weights order the tiers: number ≫ subject ≫ sender ≫ body."""
    terms = query.terms()
    if not terms:
        return 0.0
    n = len(terms)
    folded_q = [t.folded for t in terms]
    subj_f, subj_a = cand.subj_f, cand.subj_a
    subj_f_set, subj_a_set = set(subj_f), set(subj_a)
    total = 0.0

    num = set(cand.num)
    if num and set(folded_q) <= num:
        total += 50.0
        if set(folded_q) == num:
            total += 20.0

    covered = sum(1 for t in terms if t.folded in subj_f_set)
    total += 10.0 * covered / n
    exact = sum(1 for t in terms if t.accented in subj_a_set)
    total += 6.0 * exact / n
    if n > 1 and _contains_sequence(subj_f, folded_q):
        total += 5.0
        if _contains_sequence(subj_a, [t.accented for t in terms]):
            total += 3.0
    for clause in query.clauses:
        if isinstance(clause, Phrase) and _contains_sequence(
            subj_f, [t.folded for t in clause.terms]
        ):
            total += 3.0
    if covered == n and subj_f:
        total += min(1.0, n / len(subj_f))  # a short subject that is all query beats a long one

    meta_f = set(cand.meta_f)
    total += 3.0 * sum(1 for t in terms if t.folded in meta_f) / n

    if Found.ACCENTED in cand.found or Found.EXACT_PHRASE in cand.found:
        total += 4.0  # every word with its exact diacritics somewhere (body included)
    if n > 1 and Found.PHRASE in cand.found:
        total += 10.0  # "Lý Sơn" as written in a body beats "lý" and "Sơn" strewn over the head
    if Found.NUMBER in cand.found and total < 50.0:
        total += 10.0
    return total


def rank(query: ParsedQuery, candidates: list[Candidate]) -> list[Candidate]:
    """Candidates best first: score, then newest."""
    for cand in candidates:
        cand.score = score(query, cand)
    return sorted(candidates, key=lambda c: (-c.score, -c.order))
