"""Relevance of full-text search on a realistic Vietnamese corpus (see relevance_corpus.py).

The corpus is received through ``POST /api/v1/incoming`` exactly as a clerk would (the indexing
worker and OCR run inline in tests), then every query goes through ``GET /api/v1/search``.
The application fixtures are function-scoped and each test starts from an empty database, so
the corpus is indexed once per database inside a single test that runs every query, collects
every miss, and fails at the end with one readable report (with P@1 and MRR over the queries
that name an expected first result).

Known ranking weaknesses are listed in ``KNOWN_WEAKNESSES`` of the corpus module: they must
fail (the test says so when one starts passing, so the entry is removed), everything else must
pass.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.app.search.relevance_corpus import DOCUMENTS, KNOWN_WEAKNESSES, QUERIES, Doc, Query
from tests.fixtures.app import api_token
from tests.fixtures.documents import post_incoming

USERS = ("vanthu", "lanhdao", "chuyenvien")
PER_PAGE = 100  # every query of this corpus fits on one page: "absent" sees all matches


def _receive(client: FlaskClient, token: str, doc: Doc) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    response = post_incoming(client, headers, doc.pdf(), f"{doc.key}.pdf", **doc.form())
    assert response.status_code == 201, (doc.key, response.get_json())
    return int(response.get_json()["id"])


def _search(client: FlaskClient, token: str, query: Query) -> dict[str, Any]:
    response = client.get(
        "/api/v1/search",
        query_string={"q": query.q, "per_page": PER_PAGE, **query.params},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, (query.qid, response.get_json())
    return response.get_json()


def _problems(query: Query, result: dict[str, Any], got: list[str]) -> list[str]:
    """What is wrong with one answer, in words (empty when the expectation holds)."""
    problems = []
    if result.get("degraded"):
        problems.append("answered degraded (engine unavailable)")
    if query.first is not None and got[:1] != [query.first]:
        problems.append(f"expected {query.first} first")
    if query.top and not set(query.top) <= set(got[: len(query.top)]):
        missing = sorted(set(query.top) - set(got[: len(query.top)]))
        problems.append(
            f"expected {list(query.top)} in the top {len(query.top)}; missing {missing}"
        )
    if query.order and got[: len(query.order)] != list(query.order):
        problems.append(f"expected to begin with {list(query.order)}")
    leaked = [key for key in query.absent if key in got]
    if leaked:
        problems.append(f"must not return {leaked}")
    if query.total is not None and result["total"] != query.total:
        problems.append(f"expected total {query.total}, got {result['total']}")
    if query.marks is not None:
        first = result["results"][0]["highlight"] if result["results"] else {}
        if "<mark>" not in first.get(query.marks, ""):
            problems.append(f"no <mark> in the first result's {query.marks} highlight: {first}")
    return problems


@pytest.mark.parametrize("search_url", ["db", "tantivy"])
def test_relevance_corpus(client: FlaskClient, demo: None, search_url: str) -> None:
    started = time.monotonic()
    tokens = {user: api_token(client, user) for user in USERS}
    ids = {doc.key: _receive(client, tokens["vanthu"], doc) for doc in DOCUMENTS}
    keys = {document_id: key for key, document_id in ids.items()}
    indexed = time.monotonic()

    failed: dict[str, str] = {}
    lines = []
    firsts = reciprocal = 0.0
    ranked_queries = 0
    for query in QUERIES:
        result = _search(client, tokens[query.user], query)
        got = [keys.get(row["id"], f"#{row['id']}") for row in result["results"]]
        scores = [row["score"] for row in result["results"]]
        scored = [f"{key} ({score:g})" for key, score in zip(got, scores, strict=True)]
        if query.first is not None:
            ranked_queries += 1
            if query.first in got:
                position = got.index(query.first) + 1
                firsts += position == 1
                reciprocal += 1 / position
        problems = _problems(query, result, got)
        if problems:
            failed[query.qid] = "; ".join(problems)
            known = " [known weakness]" if query.qid in KNOWN_WEAKNESSES else ""
            lines.append(
                f"MISS{known} {query.qid} ({query.category}) q={query.q!r} "
                f"params={dict(query.params)} user={query.user}: {failed[query.qid]}\n"
                f"     got (total {result['total']}): {', '.join(scored[:5])}"
            )
    finished = time.monotonic()

    unexpected = sorted(set(failed) - set(KNOWN_WEAKNESSES))
    now_passing = sorted(set(KNOWN_WEAKNESSES) - set(failed))
    summary = (
        f"{len(DOCUMENTS)} documents, {len(QUERIES)} queries: "
        f"{len(QUERIES) - len(failed)} met their expectation, {len(failed)} missed "
        f"({len(set(failed) & set(KNOWN_WEAKNESSES))} known weaknesses); "
        f"P@1 {firsts / ranked_queries:.2f} and MRR {reciprocal / ranked_queries:.2f} over the "
        f"{ranked_queries} queries with an expected first result; "
        f"indexing {indexed - started:.1f} s, queries {finished - indexed:.1f} s"
    )
    print(summary, *lines, sep="\n")
    report = "\n".join([summary, *lines])
    for qid in now_passing:
        report += (
            f"\nNOW PASSING: {qid} — remove it from KNOWN_WEAKNESSES ({KNOWN_WEAKNESSES[qid]})"
        )
    assert not unexpected and not now_passing, report
