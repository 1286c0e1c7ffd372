"""Elasticsearch request bodies, built by pure functions: checked without a cluster.

The behaviour against a live cluster is the contract suite (test_contract.py), which runs
when EDOC_TEST_ELASTICSEARCH_URL is set.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from search import open_backend
from search.base import (
    FACET_FIELDS,
    SECRECY_MAT,
    InvalidQuery,
    SearchQuery,
    SearchUnavailable,
)
from search.elastic import (
    MARK_END,
    MARK_START,
    ElasticsearchBackend,
    document_source,
    index_mappings,
    index_settings,
    parse_response,
    query_body,
    render_highlight,
    suggest_body,
    template_body,
)
from tests.lib.search.corpus import incoming

# Query types that take no query syntax: user text can only be matched, never parsed.
SAFE_LEAVES = {"match", "match_phrase", "multi_match", "match_bool_prefix", "terms", "range"}
CONTAINERS = {"bool", "constant_score"}


def leaves(query: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every leaf query of a query tree, as (type, body)."""
    ((kind, body),) = query.items()
    if kind == "bool":
        return [
            leaf
            for occur in ("must", "filter", "should", "must_not")
            for child in body.get(occur, [])
            for leaf in leaves(child)
        ]
    if kind == "constant_score":
        return leaves(body["filter"])
    return [(kind, body)]


# ---- settings and mappings ------------------------------------------------------------------


def test_settings_define_a_folding_analyser_without_plugins() -> None:
    analysis = index_settings()["analysis"]
    folded = analysis["analyzer"]["vi_folded"]
    assert "lowercase" in folded["filter"]
    fold_filters = [analysis["filter"][f] for f in folded["filter"] if f in analysis["filter"]]
    assert {"type": "asciifolding", "preserve_original": False} in fold_filters
    d_stroke = [analysis["char_filter"][c] for c in folded["char_filter"]]
    assert any("đ => d" in c["mappings"] and "Đ => D" in c["mappings"] for c in d_stroke)
    accented = analysis["analyzer"]["vi_accented"]
    assert "lowercase" in accented["filter"]
    assert not {"asciifolding", "vi_fold"} & set(accented["filter"])
    assert "char_filter" not in accented
    # no plugin: every filter/tokenizer type is a stock one
    stock = {"mapping", "pattern", "length", "pattern_replace", "asciifolding"}
    for section in ("char_filter", "tokenizer", "filter"):
        assert {v["type"] for v in analysis[section].values()} <= stock
    assert not any("icu" in json.dumps(v) for v in analysis.values())


def test_settings_allow_every_page_the_contract_allows() -> None:
    assert index_settings()["max_result_window"] >= 500 * 100
    assert index_settings(shards=3, replicas=2)["number_of_replicas"] == 2
    assert "number_of_replicas" not in index_settings()


def test_mappings_text_fields_have_accented_subfields_and_keywords_for_filters() -> None:
    props = index_mappings()["properties"]
    for field in ("subject", "body", "meta"):
        assert props[field]["analyzer"] == "vi_folded"
        assert props[field]["fields"]["accented"]["analyzer"] == "vi_accented"
    for field in ("direction", "doc_type", "sender", "signer", "unit", "urgency", "status"):
        assert props[field]["type"] == "keyword"
    assert props["dossier"]["type"] == "keyword"
    assert "index_prefixes" in props["number"]
    assert props["secrecy"]["type"] in {"byte", "short", "integer"}
    assert index_mappings()["dynamic"] == "strict"
    assert index_mappings()["_meta"]["analysis_version"] >= 1


def test_template_applies_to_the_versioned_indices() -> None:
    body = template_body("edoc")
    assert body["index_patterns"] == ["edoc-docs-v*"]
    assert body["template"]["mappings"] == index_mappings()


def test_document_source_is_nfc_with_number_tokens() -> None:
    import unicodedata

    doc = incoming(
        "in:1",
        subject=unicodedata.normalize("NFD", "Phòng chống bão") + MARK_START,
        number_notation="05/QĐ-UBND",
        sender="UBND tỉnh",
        doc_type="Quyết định",
        secrecy=SECRECY_MAT,
        arrival_date=dt.date(2024, 3, 1),
    )
    source = document_source(doc, seq=7)
    assert source["subject"] == "Phòng chống bão"  # NFC, marker characters removed
    assert source["number"] == "5 qd ubnd"
    assert source["sort_date"] == "2024-03-01" and source["year"] == 2024
    assert source["meta"] == "Quyết định UBND tỉnh"
    assert source["secrecy"] == 1 and source["seq"] == 7
    assert set(source) <= set(index_mappings()["properties"])


# ---- queries --------------------------------------------------------------------------------


def test_secrecy_is_a_filter_clause_of_the_bool_query() -> None:
    body = query_body(SearchQuery(text="bão", max_secrecy=SECRECY_MAT, facets=("secrecy",)))
    assert "post_filter" not in body
    filters = body["query"]["bool"]["filter"]
    assert {"range": {"secrecy": {"lte": SECRECY_MAT}}} in filters
    # aggregations run on the same query, so they never count hidden documents
    assert body["aggs"]["secrecy"] == {"terms": {"field": "secrecy", "size": 200}}
    negative = query_body(SearchQuery(max_secrecy=-5))["query"]["bool"]["filter"]
    assert {"range": {"secrecy": {"lte": 0}}} in negative


def test_words_are_required_in_any_field_and_scored_separately() -> None:
    body = query_body(SearchQuery(text='bão "đầu tư"'))
    bool_query = body["query"]["bool"]
    text_filters = [f for f in bool_query["filter"] if "multi_match" in f]
    assert [f["multi_match"]["query"] for f in text_filters] == ["bao", "dau tu"]
    assert text_filters[1]["multi_match"]["type"] == "phrase"
    assert {"number", "subject", "body"} <= set(text_filters[0]["multi_match"]["fields"])
    assert all(set(c) == {"constant_score"} for c in bool_query["should"])
    accented = [
        leaf for c in bool_query["should"] for leaf in leaves(c) if "subject.accented" in str(leaf)
    ]
    assert any("bão" in json.dumps(leaf, ensure_ascii=False) for leaf in accented)
    assert body["sort"][0] == "_score"


def test_number_match_outweighs_everything_else() -> None:
    should = query_body(SearchQuery(text="125/QĐ-UBND"))["query"]["bool"]["should"]
    number = [c for c in should if "number" in c["constant_score"]["filter"].get("match", {})]
    assert len(number) == 1
    assert number[0]["constant_score"]["filter"]["match"]["number"]["query"] == "125 qd ubnd"
    others = sum(c["constant_score"]["boost"] for c in should if c not in number)
    assert number[0]["constant_score"]["boost"] > others


def test_filters_and_dates() -> None:
    query = SearchQuery(
        filters={"unit": "Văn phòng", "doc_type": ["Báo cáo", "Kế hoạch"]},
        date_from=dt.date(2024, 1, 1),
        date_to=dt.date(2024, 1, 31),
    )
    filters = query_body(query)["query"]["bool"]["filter"]
    assert {"terms": {"unit": ["Văn phòng"]}} in filters
    assert {"terms": {"doc_type": ["Báo cáo", "Kế hoạch"]}} in filters
    assert {
        "range": {"sort_date": {"gte": "2024-01-01", "lte": "2024-01-31", "format": "strict_date"}}
    } in filters


def test_empty_text_or_date_sort_lists_newest_first_without_scoring() -> None:
    for query in (SearchQuery(), SearchQuery(text="bão", sort="date")):
        body = query_body(query)
        assert "should" not in body["query"]["bool"]
        assert body["sort"] == [{"sort_date": "desc"}, {"seq": "desc"}]
    assert "highlight" not in query_body(SearchQuery())


def test_paging() -> None:
    body = query_body(SearchQuery(page=3, per_page=20))
    assert (body["from"], body["size"]) == (40, 20)
    with pytest.raises(InvalidQuery):
        query_body(SearchQuery(page=0))
    with pytest.raises(InvalidQuery):
        query_body(SearchQuery(facets=("body",)))


def test_every_facet_is_a_terms_aggregation_on_a_mapped_field() -> None:
    body = query_body(SearchQuery(facets=FACET_FIELDS))
    props = index_mappings()["properties"]
    assert set(body["aggs"]) == set(FACET_FIELDS)
    for agg in body["aggs"].values():
        assert props[agg["terms"]["field"]]["type"] in {"keyword", "byte", "short"}


def test_highlight_marks_matches_with_private_markers_escaped_by_us() -> None:
    highlight = query_body(SearchQuery(text="bão"))["highlight"]
    assert highlight["pre_tags"] == [MARK_START] and highlight["post_tags"] == [MARK_END]
    assert highlight["encoder"] == "default"
    assert set(highlight["fields"]) == {"subject", "number_notation", "body"}
    fragment = f'<script>alert("x")</script> & {MARK_START}Bão{MARK_END} số 3'
    assert render_highlight(fragment) == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; <mark>Bão</mark> số 3"
    )


HOSTILE = st.one_of(
    st.text(),
    st.sampled_from(
        ['"', "(", "AND OR NOT", "*", ":", "a:b^2~", "{subj}: x", "'x':*", "\x00", "🌀", "-x"]
    ),
)


@given(HOSTILE)
def test_user_text_only_reaches_queries_that_cannot_fail_to_parse(text: str) -> None:
    body = query_body(SearchQuery(text=text, facets=("direction",)))
    json.dumps(body)  # serialisable
    for kind, _ in leaves(body["query"]):
        assert kind in SAFE_LEAVES, kind
    dumped = json.dumps(body)
    for parser in ("query_string", "simple_query_string", "regexp", "wildcard", "script"):
        assert parser not in dumped
    suggest = suggest_body(text, 0)
    if suggest is not None:
        assert {k for k, _ in leaves(suggest["query"])} <= SAFE_LEAVES


def test_suggest_body_prefix_on_number_tokens_with_clearance() -> None:
    body = suggest_body("125/QĐ-U", 0, limit=5)
    assert body is not None
    filters = body["query"]["bool"]["filter"]
    assert {"range": {"secrecy": {"lte": 0}}} in filters
    assert {"match_bool_prefix": {"number": {"query": "125 qd u", "operator": "and"}}} in filters
    assert body["size"] == 5
    assert suggest_body("  /- ", 0) is None
    assert suggest_body("1", 0, limit=10_000)["size"] == 100  # type: ignore[index]


def test_parse_response() -> None:
    response = {
        "hits": {
            "total": {"value": 10_000, "relation": "gte"},
            "hits": [
                {
                    "_id": "in:1",
                    "_score": 62.5,
                    "highlight": {"subject": [f"Phòng chống {MARK_START}bão{MARK_END} <b>"]},
                },
                {"_id": "in:2", "_score": None},
            ],
        },
        "aggregations": {
            "secrecy": {"buckets": [{"key": 0, "doc_count": 9000}, {"key": 1, "doc_count": 5}]},
            "year": {"buckets": [{"key": 2024.0, "doc_count": 3}]},
        },
    }
    result = parse_response(response, SearchQuery(text="bão", facets=("secrecy", "year")))
    assert (result.total, result.total_exact) == (10_000, False)
    assert result.facets_exact  # aggregations count every match
    assert [h.id for h in result.hits] == ["in:1", "in:2"]
    assert result.hits[0].highlights == {"subject": "Phòng chống <mark>bão</mark> &lt;b&gt;"}
    assert result.hits[1].highlights == {} and result.hits[1].score == 0.0
    assert result.facets == {"secrecy": {"0": 9000, "1": 5}, "year": {"2024": 3}}


# ---- the client against nothing: errors are mapped, health never raises ----------------------


@pytest.fixture
def dead_url() -> str:
    """A loopback port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_unreachable_cluster_is_unavailable_and_health_reports_it(dead_url: str) -> None:
    backend = open_backend(f"{dead_url}?index=edoc", max_retries=0, request_timeout=2)
    assert isinstance(backend, ElasticsearchBackend)
    assert (backend.alias, backend.base_url) == ("edoc-docs", dead_url)
    health = backend.health()
    assert not health.ok and health.backend == "elasticsearch"
    assert "Unavailable" in health.detail or "Connection" in health.detail
    with pytest.raises(SearchUnavailable):
        backend.search(SearchQuery(text="bão"))
    with pytest.raises(SearchUnavailable):
        backend.index([incoming("x", subject="x")])
    with pytest.raises(SearchUnavailable):
        backend.count()
    with pytest.raises(SearchUnavailable):
        backend.reset()
    backend.close()


def test_index_name_must_be_an_elasticsearch_name() -> None:
    with pytest.raises(ValueError):
        ElasticsearchBackend("http://127.0.0.1:9", index="Edoc Docs")


def test_number_spellings_require_the_same_words() -> None:
    def required(text: str) -> set[str]:
        filters = query_body(SearchQuery(text=text))["query"]["bool"]["filter"]
        return {f["multi_match"]["query"] for f in filters if "multi_match" in f}

    assert required("125/QĐ-UBND") == {"125", "qd", "ubnd"}
    for spelling in ("125/QD-UBND", "125 qđ ubnd", "qd-ubnd 125", "0125/qđ-ubnd"):
        assert required(spelling) == required("125/QĐ-UBND"), spelling


def test_the_words_as_a_phrase_anywhere_are_a_strong_signal() -> None:
    should = query_body(SearchQuery(text="Lý Sơn"))["query"]["bool"]["should"]
    anywhere = [
        c["constant_score"]
        for c in should
        if c["constant_score"]["filter"].get("multi_match", {}).get("fields")
        == ["number", "subject", "meta", "body"]
    ]
    assert anywhere == [
        {
            "filter": {
                "multi_match": {
                    "query": "ly son",
                    "fields": ["number", "subject", "meta", "body"],
                    "type": "phrase",
                }
            },
            "boost": 10.0,
        }
    ]
    single = query_body(SearchQuery(text="Sơn"))["query"]["bool"]["should"]
    assert not [
        c
        for c in single
        if c["constant_score"]["filter"].get("multi_match", {}).get("fields")
        == ["number", "subject", "meta", "body"]
    ]


def test_bm25_adds_a_little_score_on_top_of_the_signals() -> None:
    body = query_body(SearchQuery(text='bão "đầu tư công"'))["query"]["bool"]
    must = [c["multi_match"] for c in body["must"]]
    assert [(m["query"], m["type"]) for m in must] == [
        ("bao", "best_fields"),
        ("dau tu cong", "phrase"),
    ]
    assert all(m["boost"] == 0.05 for m in must)
    assert "number^1.5" in must[0]["fields"] and "number^1.5" not in must[1]["fields"]
    assert "must" not in query_body(SearchQuery(text="bão", sort="date"))["query"]["bool"]
