"""search.analysis: the Vietnamese analysis every backend indexes and queries with."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from search.analysis import (
    MAX_QUERY_TERMS,
    Phrase,
    Term,
    accented,
    analyse,
    fold,
    looks_like_number,
    number_key,
    number_tokens,
    parse_query,
)


def accented_tokens(text: str) -> list[str]:
    return analyse(text)[1]


def test_fold_removes_every_vietnamese_diacritic_and_the_stroke_of_d() -> None:
    assert fold("Đường Bão Lũ Quảng Ngãi") == "duong bao lu quang ngai"
    assert fold("đầu tư") == "dau tu"
    vowels = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
    assert fold(vowels) == "a" * 17 + "e" * 11 + "i" * 5 + "o" * 17 + "u" * 11 + "y" * 5
    assert fold(vowels.upper()) == fold(vowels)


def test_fold_and_accented_ignore_the_unicode_normal_form() -> None:
    composed = "Nghị định về bảo vệ"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert fold(decomposed) == fold(composed) == "nghi dinh ve bao ve"
    assert accented(decomposed) == accented(composed) == "nghị định về bảo vệ"


def test_accented_keeps_diacritics_and_folds_case() -> None:
    assert accented("BÃO") == "bão"
    assert accented("Đà Nẵng") == "đà nẵng"
    assert accented("bão") != accented("báo")


def test_tokens_split_on_punctuation_underscore_and_drop_junk() -> None:
    assert accented_tokens("a_b c-d e/f g.h") == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert accented_tokens("x" * 41 + " ok") == ["ok"]
    assert accented_tokens("x" * 40) == ["x" * 40]
    assert accented_tokens("lần 05 và 000") == ["lần", "5", "và", "0"]
    assert accented_tokens("05a") == ["05a"]  # only pure numbers lose leading zeros


def test_analyse_gives_aligned_folded_and_accented_tokens() -> None:
    folded, acc = analyse("Phòng chống BÃO số 03")
    assert folded == ["phong", "chong", "bao", "so", "3"]
    assert acc == ["phòng", "chống", "bão", "số", "3"]
    assert analyse(None) == ([], [])
    assert analyse("") == ([], [])


@given(st.text())
def test_analyse_streams_always_align(text: str) -> None:
    folded, acc = analyse(text)
    assert len(folded) == len(acc)
    assert all(fold(a) == f or f.isdigit() for f, a in zip(folded, acc, strict=True))


def test_number_tokens_ignore_accents_case_spacing_separators_and_zeros() -> None:
    spellings = ["125/QĐ-UBND", "125/QD-UBND", "125 qđ ubnd", "125/qđ - ubnd", "0125/QĐ-UBND"]
    assert {tuple(number_tokens(s)) for s in spellings} == {("125", "qd", "ubnd")}
    assert set(number_tokens("qd-ubnd 125")) == {"125", "qd", "ubnd"}
    assert number_key("05/QĐ-UBND") == "5 qd ubnd"
    assert number_tokens(None) == []
    assert number_key("") == ""


def test_looks_like_number() -> None:
    for yes in ("125/QĐ-UBND", "05/UBND-VP", " 12 / KH - BCH ", "45/BC-SKHĐT"):
        assert looks_like_number(yes), yes
    for no in ("bão số 3", "125", "QĐ-UBND", "", "/QĐ"):
        assert not looks_like_number(no), no


def test_parse_query_words_and_phrases() -> None:
    parsed = parse_query('Bão "đầu tư công" Đà')
    assert parsed.clauses == (
        Term("bao", "bão"),
        Phrase((Term("dau", "đầu"), Term("tu", "tư"), Term("cong", "công"))),
        Term("da", "đà"),
    )
    assert parsed.folded_words() == ["bao", "dau", "tu", "cong", "da"]
    assert not parsed.is_number


def test_parse_query_quotes_of_every_kind() -> None:
    straight = parse_query('"đầu tư công"').clauses
    assert parse_query("“đầu tư công”").clauses == straight
    assert parse_query("«đầu tư công»").clauses == straight
    assert parse_query('"đầu tư công').clauses == straight  # unclosed: runs to the end
    assert parse_query('"bão"').clauses == (Term("bao", "bão"),)  # one quoted word is a word


def test_parse_query_has_no_operators() -> None:
    parsed = parse_query("bão AND NOT (lũ OR *) field:x^2")
    assert [t.folded for t in parsed.terms()] == [
        "bao",
        "and",
        "not",
        "lu",
        "or",
        "field",
        "x",
        "2",
    ]


def test_parse_query_deduplicates_and_caps_terms() -> None:
    assert len(parse_query("bão bão BÃO").clauses) == 1
    assert len(parse_query("bão báo").clauses) == 2  # same folded, different accents
    many = parse_query(" ".join(f"w{i}" for i in range(100)))
    assert len(many.clauses) == MAX_QUERY_TERMS


def test_parse_query_recognises_numbers() -> None:
    parsed = parse_query("125/QĐ-UBND")
    assert parsed.is_number
    assert parsed.folded_words() == ["125", "qd", "ubnd"]


def test_parse_query_empty_inputs() -> None:
    for text in (None, "", "   ", '""', "!!! ???", "\x00\x01", "🌀"):
        parsed = parse_query(text)
        assert parsed.empty, text
        assert parsed.terms() == []


@given(st.text(max_size=300))
def test_parse_query_never_raises_and_yields_plain_tokens(text: str) -> None:
    parsed = parse_query(text)
    assert len(parsed.clauses) <= MAX_QUERY_TERMS
    for term in parsed.terms():
        assert term.folded and term.accented
        assert all(ch.isalnum() for ch in term.folded), term
        assert all(ch.isalnum() for ch in term.accented), term


def test_the_token_cache_stops_growing_at_its_bound_and_still_answers() -> None:
    from search.analysis import _TokenForms

    forms = _TokenForms()
    forms.LIMIT = 2
    assert [forms[t] for t in ("bão", "đất", "05", "x" * 41)] == [
        ("bao", "bão"),
        ("dat", "đất"),
        ("5", "5"),
        None,
    ]
    assert len(forms) == 2
