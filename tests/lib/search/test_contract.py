"""The search contract: every backend must give these answers for the corpus in corpus.py.

Runs unchanged against SQLite FTS5, PostgreSQL and (when EDOC_TEST_ELASTICSEARCH_URL is set)
Elasticsearch; see conftest.py.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.base import (
    FACET_FIELDS,
    KEYWORD_FILTERS,
    SECRECY_MAT,
    SECRECY_NONE,
    SECRECY_TUYET_MAT,
    IndexDocument,
    InvalidQuery,
    SearchBackend,
    SearchQuery,
    SearchResult,
)
from tests.lib.search import corpus
from tests.lib.search.corpus import (
    ENVIRONMENT,
    MEETINGS,
    PUBLIC_BUDGET,
    RECRUIT,
    REPORT,
    SCRIPT,
    SECRET_PLAN,
    STORM,
    TOP_SECRET,
    incoming,
)

TOP = SECRECY_TUYET_MAT


def run(backend: SearchBackend, text: str = "", **kw: object) -> SearchResult:
    kw.setdefault("per_page", 100)
    return backend.search(SearchQuery(text=text, **kw))  # type: ignore[arg-type]


def ids(result: SearchResult) -> list[str]:
    return [h.id for h in result.hits]


def hit(result: SearchResult, doc_id: str):
    return next(h for h in result.hits if h.id == doc_id)


# ---- writes ---------------------------------------------------------------------------------


def test_upsert_replaces(empty: SearchBackend) -> None:
    first = incoming("x:1", subject="Tờ trình cũ về lương")
    assert empty.index([first]) == 1
    assert ids(run(empty, "lương")) == ["x:1"]
    second = IndexDocument(id="x:1", direction="outgoing", subject="Quyết định mới về thưởng")
    assert empty.index([second]) == 1
    assert empty.count() == 1
    assert run(empty, "lương").total == 0
    assert ids(run(empty, "thưởng")) == ["x:1"]
    assert run(empty, filters={"direction": "incoming"}).total == 0
    assert ids(run(empty, filters={"direction": "outgoing"})) == ["x:1"]


def test_same_id_twice_in_one_batch_keeps_the_last(empty: SearchBackend) -> None:
    docs = [
        incoming("x:1", subject="bản nháp"),
        incoming("x:1", subject="bản chính thức"),
    ]
    empty.index(docs)
    assert empty.count() == 1
    assert run(empty, "nháp").total == 0
    assert ids(run(empty, "chính thức")) == ["x:1"]


def test_delete(empty: SearchBackend) -> None:
    empty.index([STORM, REPORT, ENVIRONMENT])
    assert empty.count() == 3
    assert empty.delete(["in:1", "no-such-id"]) == 1
    assert empty.delete(["in:1"]) == 0
    assert empty.delete([]) == 0
    assert empty.count() == 2
    assert run(empty, "Đà Nẵng").total == 0
    assert set(ids(run(empty, "bão"))) == {"in:2", "out:3"}
    assert set(ids(run(empty))) == {"in:2", "out:3"}
    assert empty.suggest_numbers("125", SECRECY_NONE) == []


def test_nul_and_control_characters_in_documents_and_filters(empty: SearchBackend) -> None:
    # text extracted from PDFs can hold NUL, which PostgreSQL cannot store in text
    doc = incoming(
        "x:1",
        subject="Tờ trình\x00 về bão\x07",
        body="trang 1\x00\x00trang 2 bão\x1b",
        sender="Sở\x00 Nội vụ",
        number_notation="12/\x00TTr-SNV",
    )
    assert empty.index([doc]) == 1
    result = run(empty, "bão", facets=("sender",))
    assert ids(result) == ["x:1"]
    assert "\x00" not in "".join(result.hits[0].highlights.values())
    assert result.facets["sender"] == {"Sở Nội vụ": 1}
    assert ids(run(empty, filters={"sender": "Sở Nội vụ"})) == ["x:1"]
    assert ids(run(empty, filters={"sender": "Sở\x00 Nội vụ"})) == ["x:1"]
    assert ids(run(empty, "12/TTr-SNV")) == ["x:1"]
    for value in ("'", '"', "\\", "%", "_", "' OR 1=1 --", "a\x00b", "🌀", ""):
        assert run(empty, filters={"sender": value, "unit": [value, "x"]}).total == 0


def test_long_bodies_and_words_repeated_hundreds_of_times(empty: SearchBackend) -> None:
    # past PostgreSQL's limits of a tsvector (256 positions per word, positions up to 16 383,
    # beyond which phrases are not promised): every word is still found
    body = "bão " * 400 + "lũ lụt " * 9_000 + "sạt lở đất cuối văn bản"
    doc = incoming("x:long", subject="Báo cáo dài", body=body)
    assert empty.index([doc]) == 1
    for text in ("bão", "lũ lụt", "sạt lở", '"báo cáo dài"', '"bão bão"', "cuối văn bản"):
        assert ids(run(empty, text)) == ["x:long"], text
    assert run(empty, "hạn hán").total == 0


def test_reset_empties_the_index(empty: SearchBackend) -> None:
    empty.index([STORM, REPORT])
    empty.reset()
    assert empty.count() == 0
    assert run(empty, "bão").total == 0
    assert run(empty).total == 0
    empty.ensure_schema()  # cheap and harmless when the schema exists
    empty.index([STORM])
    assert ids(run(empty, "bao")) == ["in:1"]


def test_count_and_health(loaded: SearchBackend) -> None:
    assert loaded.count() == len(corpus.ALL)  # every secrecy level: an operator figure
    health = loaded.health()
    assert health.ok
    assert health.documents == len(corpus.ALL)
    assert health.backend == loaded.name


# ---- Vietnamese matching --------------------------------------------------------------------


def test_accent_free_query_finds_every_accented_form(loaded: SearchBackend) -> None:
    found = set(ids(run(loaded, "bao")))
    # bão (storm), báo (report), bảo (protect), thông báo
    assert {"in:1", "in:2", "out:3", "in:6"} <= found
    assert "out:4" not in found  # bão, but Mật: above the default clearance
    assert "in:5" not in found


def test_d_with_stroke_folds_to_d(loaded: SearchBackend) -> None:
    assert {"in:2", "out:8"} <= set(ids(run(loaded, "dau tu")))
    assert ids(run(loaded, "da nang"))[0] == "in:1"
    assert ids(run(loaded, "ĐÀ NẴNG"))[0] == "in:1"
    assert ids(run(loaded, "Đà Nẵng")) == ids(run(loaded, "da nang"))


def test_case_and_unicode_normal_form_do_not_matter(loaded: SearchBackend) -> None:
    decomposed = unicodedata.normalize("NFD", "bão")
    assert ids(run(loaded, decomposed)) == ids(run(loaded, "bão"))
    assert ids(run(loaded, "BÃO")) == ids(run(loaded, "bão"))


@pytest.mark.parametrize(
    ("query", "first"),
    [("bão", "in:1"), ("báo", "in:2"), ("bảo", "out:3"), ("đầu tư công", "in:2")],
)
def test_exact_diacritics_rank_first(loaded: SearchBackend, query: str, first: str) -> None:
    result = run(loaded, query)
    assert ids(result)[0] == first
    assert result.total >= 2  # the other spellings are still found, below


def test_storm_ranks_above_report_and_protection(loaded: SearchBackend) -> None:
    order = ids(run(loaded, "bão"))
    assert order.index("in:1") < order.index("in:2")
    assert order.index("in:1") < order.index("out:3")


@pytest.mark.parametrize(
    "spelling", ["125/QĐ-UBND", "125/QD-UBND", "125 qđ ubnd", "qd-ubnd 125", "125/qđ-ubnd"]
)
def test_number_any_spelling_finds_the_document_first(loaded: SearchBackend, spelling: str) -> None:
    result = run(loaded, spelling)
    assert ids(result)[0] == "in:1"
    # out:7 cites 125/QĐ-UBND in its body: found, but after the document itself
    assert "out:7" in ids(result)


def test_number_leading_zero_is_the_same_number(loaded: SearchBackend) -> None:
    assert ids(run(loaded, "7/CV-STNMT"))[0] == "out:3"
    assert ids(run(loaded, "07/cv-stnmt"))[0] == "out:3"


def test_phrase_in_quotes_needs_adjacent_words(loaded: SearchBackend) -> None:
    loose = set(ids(run(loaded, "đầu tư công")))
    assert {"in:2", "out:8"} <= loose
    assert set(ids(run(loaded, '"đầu tư công"'))) == {"in:2"}
    assert set(ids(run(loaded, "“dau tu cong”"))) == {"in:2"}  # curly quotes, no accents
    assert set(ids(run(loaded, '"đầu tư công'))) == {"in:2"}  # an unclosed quote runs to the end


def test_a_phrase_needs_its_words_in_one_run_not_only_each_pair(empty: SearchBackend) -> None:
    pairs_apart = incoming(
        "x:apart",
        subject="Báo cáo",
        body="Sau cơn bão, thông báo số liệu. Bão số 3 đã qua.",
    )
    phrase = incoming("x:phrase", subject="Báo cáo", body="Ứng phó cơn bão số 3.")
    empty.index([pairs_apart, phrase])
    assert ids(run(empty, '"cơn bão số 3"')) == ["x:phrase"]
    assert ids(run(empty, '"con bao so 3"')) == ["x:phrase"]
    assert set(ids(run(empty, '"bão số 3"'))) == {"x:apart", "x:phrase"}


def test_every_word_must_match(loaded: SearchBackend) -> None:
    assert ids(run(loaded, "bão Đà Nẵng")) == ["in:1"]
    assert run(loaded, "bão xylophone").total == 0


def test_metadata_is_searchable(loaded: SearchBackend) -> None:
    assert "in:2" in ids(run(loaded, "Trần Thị Bình"))  # signer
    assert ids(run(loaded, "Bộ Quốc phòng", max_secrecy=TOP))[0] == "in:5"  # sender


# ---- filters, dates, facets, secrecy ------------------------------------------------------


def _expected(clearance: int, **filters: str | list[str]) -> set[str]:
    out = set()
    for doc in corpus.visible(clearance):
        if all(
            getattr(doc, name) in ([value] if isinstance(value, str) else value)
            for name, value in filters.items()
        ):
            out.add(doc.id)
    return out


@pytest.mark.parametrize("name", KEYWORD_FILTERS)
def test_each_filter_alone(loaded: SearchBackend, name: str) -> None:
    values = Counter(getattr(d, name) for d in corpus.visible(TOP) if getattr(d, name))
    value = values.most_common(1)[0][0]
    result = run(loaded, filters={name: value}, max_secrecy=TOP)
    assert set(ids(result)) == _expected(TOP, **{name: value})
    assert result.total == len(_expected(TOP, **{name: value}))


def test_filter_with_several_values_matches_any(loaded: SearchBackend) -> None:
    result = run(loaded, filters={"doc_type": ["Báo cáo", "Kế hoạch"]}, max_secrecy=TOP)
    assert set(ids(result)) == {"in:2", "out:4"}


def test_filters_combine_with_text_and_each_other(loaded: SearchBackend) -> None:
    result = run(
        loaded, "bão", filters={"unit": "Văn phòng", "direction": "outgoing"}, max_secrecy=TOP
    )
    assert ids(result) == ["out:4"]
    assert run(loaded, "bão", filters={"unit": "Văn"}).total == 0  # exact values, not words
    assert run(loaded, filters={"sender": "no such sender"}).total == 0


def test_date_range_is_inclusive_on_the_sort_date(loaded: SearchBackend) -> None:
    result = run(loaded, date_from=dt.date(2023, 1, 5), date_to=dt.date(2023, 1, 7))
    assert set(ids(result)) == {"mtg:05", "mtg:06", "mtg:07"}
    # arrival date counts when there is no issued date; created_at when there is neither
    assert ids(run(loaded, date_from=dt.date(2023, 12, 28), date_to=dt.date(2023, 12, 28))) == [
        "out:8"
    ]
    # STORM was issued 09-10 and arrived 09-11: the issued date is its date
    assert ids(run(loaded, "bão", date_from=dt.date(2024, 9, 10), date_to=dt.date(2024, 9, 10)))
    assert (
        run(loaded, "bão", date_from=dt.date(2024, 9, 11), date_to=dt.date(2024, 9, 30)).total == 0
    )
    after = run(loaded, "hội nghị", date_from=dt.date(2023, 1, 20))
    assert set(ids(after)) == {f"mtg:{i:02d}" for i in range(20, 26)}
    before = run(loaded, "hội nghị", date_to=dt.date(2023, 1, 3))
    assert set(ids(before)) == {"mtg:01", "mtg:02", "mtg:03"}


def _facet_value(doc: IndexDocument, name: str) -> str | None:
    if name == "year":
        return str(doc.sort_date.year)
    value = getattr(doc, name)
    return None if value is None else str(value)


@pytest.mark.parametrize("clearance", [SECRECY_NONE, SECRECY_MAT, TOP])
def test_facet_counts_match_the_visible_documents(loaded: SearchBackend, clearance: int) -> None:
    result = run(loaded, facets=FACET_FIELDS, max_secrecy=clearance, per_page=1)
    docs = corpus.visible(clearance)
    assert result.total == len(docs)
    assert result.total_exact
    for name in FACET_FIELDS:
        expected = Counter(v for d in docs if (v := _facet_value(d, name)) is not None)
        assert result.facets[name] == dict(expected), name


def test_facets_count_the_text_matches_only(loaded: SearchBackend) -> None:
    result = run(loaded, "bao", facets=("direction", "secrecy", "doc_type"))
    assert result.facets["direction"] == {"incoming": 3, "outgoing": 1}
    assert result.facets["secrecy"] == {"0": 4}
    assert result.facets["doc_type"] == {
        "Quyết định": 1,
        "Báo cáo": 1,
        "Công văn": 1,
        "Thông báo": 1,
    }
    assert run(loaded, "bao").facets == {}  # none asked, none computed


def test_secrecy_is_enforced_inside_the_query(loaded: SearchBackend) -> None:
    low = run(loaded, "bão", facets=("secrecy", "dossier"))
    assert "out:4" not in ids(low) and "in:5" not in ids(low)
    assert low.total == len(low.hits)
    assert set(low.facets["secrecy"]) == {"0"}
    # out:4 (Mật) shares STORM's dossier: counted only with the clearance
    assert low.facets["dossier"] == {"HS-2024-01": 1, "HS-2024-02": 1}
    mat = run(loaded, "bão", max_secrecy=SECRECY_MAT, facets=("secrecy",))
    assert "out:4" in ids(mat) and "in:5" not in ids(mat)
    assert mat.total == low.total + 1
    assert mat.facets["secrecy"] == {"0": low.total, "1": 1}
    dossiers = run(loaded, "bão", max_secrecy=SECRECY_MAT, facets=("dossier",)).facets
    assert dossiers["dossier"] == {"HS-2024-01": 2, "HS-2024-02": 1}
    top = run(loaded, "bão", max_secrecy=TOP)
    assert {"out:4", "in:5"} <= set(ids(top))
    # a filter naming only secret documents finds nothing below the clearance
    assert run(loaded, filters={"dossier": "HS-2024-01"}).total == 1
    assert run(loaded, "quốc phòng").total == 0
    assert run(loaded, "1/TM-BQP").total == 0
    # a negative clearance is treated as none
    assert set(ids(run(loaded, "bão", max_secrecy=-1))) == set(ids(low))


# ---- highlights -----------------------------------------------------------------------------


def test_highlights_mark_matches_in_the_original_spelling(loaded: SearchBackend) -> None:
    storm = hit(run(loaded, "bao"), "in:1")
    assert "<mark>bão</mark>" in storm.highlights["subject"]
    assert "<mark>bão</mark>" in storm.highlights["body"]
    number = hit(run(loaded, "125/QD-UBND"), "in:1").highlights["number_notation"]
    assert "<mark>125</mark>" in number and "<mark>QĐ</mark>" in number
    assert (
        "<mark>Đà</mark> <mark>Nẵng</mark>"
        in hit(run(loaded, "da nang"), "in:1").highlights["subject"]
    )


def test_highlights_escape_document_html(loaded: SearchBackend) -> None:
    result = run(loaded, "lịch họp giao ban")
    marks = hit(result, "in:6").highlights
    subject = marks["subject"]
    assert "&lt;script&gt;" in subject
    assert "<script>" not in subject
    assert "&amp;" in subject
    assert "<mark>họp</mark>" in subject
    body = marks["body"]
    assert "<b>" not in body and "&lt;b&gt;" in body
    for snippet in marks.values():
        stripped = snippet.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped and ">" not in stripped


def test_no_highlights_without_text(loaded: SearchBackend) -> None:
    assert all(not h.highlights for h in run(loaded).hits)


# ---- sort and paging ------------------------------------------------------------------------


def test_sort_by_date_is_newest_first(loaded: SearchBackend) -> None:
    result = run(loaded, "bao", sort="date")
    dates = [corpus.BY_ID[i].sort_date for i in ids(result)]
    assert dates == sorted(dates, reverse=True)
    assert ids(result)[:2] == ["in:2", "in:1"]  # 2024-10-02, then 2024-09-10
    listing = ids(run(loaded, max_secrecy=TOP))  # no text: newest first
    expected = sorted(corpus.ALL, key=lambda d: d.sort_date, reverse=True)
    assert listing[0] == expected[0].id == "out:7"
    assert [corpus.BY_ID[i].sort_date for i in listing] == [d.sort_date for d in expected]


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_paging_covers_every_match_once(loaded: SearchBackend, sort: str) -> None:
    pages = [run(loaded, "hội nghị tổng kết", sort=sort, page=p, per_page=10) for p in (1, 2, 3, 4)]
    assert [len(p.hits) for p in pages] == [10, 10, 5, 0]
    assert all(p.total == len(MEETINGS) for p in pages)
    seen = [i for p in pages for i in ids(p)]
    assert len(seen) == len(set(seen)) == len(MEETINGS)
    assert set(seen) == {d.id for d in MEETINGS}
    if sort == "date":
        assert seen == [d.id for d in sorted(MEETINGS, key=lambda d: d.sort_date, reverse=True)]


def test_relevance_ties_go_to_the_newer_document(loaded: SearchBackend) -> None:
    assert ids(run(loaded, "hội nghị"))[:3] == ["mtg:25", "mtg:24", "mtg:23"]


def test_bad_paging_and_names_are_programming_errors(loaded: SearchBackend) -> None:
    for bad in (
        SearchQuery(page=0),
        SearchQuery(per_page=0),
        SearchQuery(per_page=101),
        SearchQuery(page=501),
        SearchQuery(facets=("subject",)),
        SearchQuery(filters={"secrecy": "0"}),
        SearchQuery(sort="title"),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidQuery):
            loaded.search(bad)


# ---- hostile text ---------------------------------------------------------------------------

HOSTILE = [
    '"',
    '""',
    '"""',
    "'",
    "(",
    ")",
    "())(",
    "AND",
    "OR",
    "NOT",
    "bão AND OR NOT",
    "NOT bão",
    "NEAR(bão báo)",
    "*",
    "bão*",
    "*bão",
    ":",
    "subject:bão",
    "{subj}: bão",
    "bão^2",
    "bão~",
    "a & b | !c <-> d",
    "'bão':*",
    "!!!",
    "\\",
    "/",
    '+-=&&||><!(){}[]^"~*?:\\/',
    "\x00",
    "bão\x00báo",
    "\x1b[31mred",
    "\u200b\u200d\ufeff",
    "🌀 bão 🌀",
    "👨‍👩‍👧",
    "-",
    "-bão",
    "%",
    "_",
    "%_%",
    "' OR 1=1 --",
    "'; DROP TABLE search_docs; --",
    "$1",
    "?",
    "null",
    "\n\t\r",
    "a" * 10_000,
    "bão " * 2_000,
    " ".join(f"từ{i}" for i in range(500)),
    "0" * 300,
    "9" * 100,
    "ǅ ß ﬁ Ⅻ ½ ²",
    "\ud7ff\ue000\U0010ffff",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_never_raises(loaded: SearchBackend, text: str) -> None:
    for sort in ("relevance", "date"):
        result = loaded.search(SearchQuery(text=text, sort=sort, facets=("direction",)))
        assert isinstance(result, SearchResult)
        assert result.total >= len(result.hits)
        assert all(corpus.BY_ID[h.id].secrecy == SECRECY_NONE for h in result.hits)
    assert isinstance(loaded.suggest_numbers(text, SECRECY_NONE), list)


def test_operator_words_are_plain_words(loaded: SearchBackend) -> None:
    # "NOT" is not negation: "NOT bão" needs the word "not", which no document has
    assert run(loaded, "NOT bão").total == 0
    assert run(loaded, "bão*").total == run(loaded, "bão").total  # * is a separator
    assert ids(run(loaded, "subject:bão")) == []  # "subject" is a word no document has


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=80))
def test_any_text_never_raises(loaded: SearchBackend, text: str) -> None:
    result = loaded.search(SearchQuery(text=text))
    assert result.total >= len(result.hits)
    assert all(corpus.BY_ID[h.id].secrecy == SECRECY_NONE for h in result.hits)
    loaded.suggest_numbers(text, SECRECY_NONE)


# ---- suggest_numbers ------------------------------------------------------------------------


def test_suggest_numbers_as_you_type(loaded: SearchBackend) -> None:
    def numbers(prefix: str, clearance: int = SECRECY_NONE) -> list[str]:
        return [s.id for s in loaded.suggest_numbers(prefix, clearance)]

    assert numbers("125") == ["in:1"]
    assert numbers("12") == ["out:7", "in:1"]  # 126 and 125; 12/KH-BCH is Mật
    assert numbers("12", SECRECY_MAT) == ["out:7", "in:1", "out:4"]  # newest first
    assert numbers("125/q") == ["in:1"]
    assert numbers("125/QĐ-U") == ["in:1"]
    assert numbers("125/qd-ubnd") == ["in:1"]
    assert numbers("qđ-ubnd 12") == ["out:7", "in:1"]
    assert numbers("45/BC-SKHD") == ["in:2"]
    assert numbers("127") == []
    assert numbers("") == []
    assert numbers("   /-  ") == []
    first = loaded.suggest_numbers("125/", SECRECY_NONE)[0]
    assert (first.number_notation, first.subject) == (STORM.number_notation, STORM.subject)


def test_suggest_numbers_limit(loaded: SearchBackend) -> None:
    got = loaded.suggest_numbers("2", SECRECY_NONE, limit=5)  # 201..225/GM-VP
    assert [s.id for s in got] == ["mtg:25", "mtg:24", "mtg:23", "mtg:22", "mtg:21"]


def test_unused_fixtures_documents_are_distinct() -> None:
    assert len(corpus.BY_ID) == len(corpus.ALL)
    assert {SCRIPT.id, RECRUIT.id, PUBLIC_BUDGET.id, SECRET_PLAN.id, TOP_SECRET.id} <= set(
        corpus.BY_ID
    )
