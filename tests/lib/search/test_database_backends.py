"""What only the database backends have: open_backend dispatch, schema versions, borrowed
connections, and an unreachable database reported as unavailable."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from search import open_backend, postgres
from search.analysis import parse_query
from search.base import (
    IndexDocument,
    SchemaMismatch,
    SearchQuery,
    SearchUnavailable,
    UnsupportedBackend,
)
from search.postgres import PostgresBackend, _Lookup
from search.ranking import Found
from search.sqlcommon import SqlBackendBase, filter_token
from search.sqlite import SQLiteBackend, _newest_within, match_expression
from tests.fixtures.search_backends import postgres_backends
from tests.lib.search.corpus import incoming

DOC = incoming("in:1", subject="Phòng chống bão")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlBackendBase]:
    """An empty backend of each database kind."""
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
        backend = open_backend("db", engine=engine)
        cleanup = engine.dispose
    else:
        make, cleanup = postgres_backends()
        backend = make("dbonly")
    backend.reset()
    assert isinstance(backend, SqlBackendBase)
    yield backend
    cleanup()


def _dated(n: int, **kw: object) -> list[IndexDocument]:
    start = dt.date(2024, 1, 1)
    return [
        IndexDocument(
            id=f"d:{i}",
            direction="incoming" if i % 2 else "outgoing",
            doc_type="Công văn" if i % 3 else "Quyết định",
            issued_date=start + dt.timedelta(days=i),
            **kw,  # type: ignore[arg-type]
        )
        for i in range(n)
    ]


def test_totals_past_the_count_limit_are_a_lower_bound_with_the_newest_facets(
    sql_backend: SqlBackendBase,
) -> None:
    docs = _dated(9, subject="Kế hoạch phòng chống bão")
    sql_backend.index(docs)
    sql_backend.count_limit = 4
    for text in ("bão", ""):
        result = sql_backend.search(SearchQuery(text=text, facets=("direction", "doc_type")))
        assert (result.total, result.total_exact, result.facets_exact) == (4, False, False)
        newest = docs[-4:]
        assert result.facets["direction"] == {
            "incoming": sum(d.direction == "incoming" for d in newest),
            "outgoing": sum(d.direction == "outgoing" for d in newest),
        }
        assert sum(result.facets["doc_type"].values()) == 4
        # the page is not held to the matches counted: the 20 asked for, newest first
        assert [h.id for h in result.hits] == [d.id for d in reversed(docs)], text
    sql_backend.count_limit = 9
    result = sql_backend.search(SearchQuery(text="bão", facets=("direction",)))
    assert (result.total, result.total_exact, result.facets_exact) == (9, True, True)
    assert result.facets["direction"] == {"incoming": 4, "outgoing": 5}


def test_a_phrase_query_cut_by_its_time_budget_keeps_the_newest_matches(
    engine: sa.Engine,
) -> None:
    backend = open_backend("db", engine=engine)
    assert isinstance(backend, SQLiteBackend)
    backend.reset()
    backend.index(
        _dated(3000, subject="Báo cáo", body="báo cáo tình hình cơn bão số 3 tại địa phương")
    )
    expression = match_expression(parse_query("cơn bão số 3"), Found.PHRASE)
    where, params = backend._fts_where(expression, SearchQuery())
    sql = f"SELECT rowid FROM {backend.fts} WHERE {where} ORDER BY rowid DESC LIMIT ?"
    with engine.connect() as conn:
        everything = _newest_within(conn, sql, (*params, 5000), budget_ms=60_000)
        cut = _newest_within(conn, sql, (*params, 5000), budget_ms=0)
        assert len(everything) == 3000
        assert len(cut) < len(everything)
        assert cut == everything[: len(cut)]
        # the connection is usable afterwards, without the budget
        assert conn.exec_driver_sql(sql, (*params, 5000)).scalars().all() == everything


def test_open_backend_picks_the_backend_by_dialect(engine: sa.Engine) -> None:
    assert isinstance(open_backend("db", engine=engine), SQLiteBackend)
    assert isinstance(open_backend("sqlite", engine=engine), SQLiteBackend)
    with pytest.raises(UnsupportedBackend):
        open_backend("postgresql", engine=engine)
    with pytest.raises(UnsupportedBackend):
        open_backend("db")
    with pytest.raises(UnsupportedBackend):
        open_backend("solr://127.0.0.1:8983/edoc")
    with pytest.raises(UnsupportedBackend):
        open_backend("tantivy://")
    pg = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert isinstance(open_backend("db", engine=pg), PostgresBackend)
    with pytest.raises(ValueError):
        open_backend("db", engine=engine, table_prefix="x; DROP TABLE y")


def test_an_index_built_by_another_analysis_version_is_refused(engine: sa.Engine) -> None:
    backend = open_backend("db", engine=engine)
    backend.ensure_schema()
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE search_meta SET value = '0' WHERE key = 'analysis_version'")
    with pytest.raises(SchemaMismatch) as err:
        backend.ensure_schema()
    assert err.value.code == "search_schema_mismatch"
    backend.reset()  # the way out: rebuild
    backend.ensure_schema()
    backend.index([DOC])
    assert backend.search(SearchQuery(text="bao")).total == 1


def test_a_borrowed_connection_writes_in_the_callers_transaction(engine: sa.Engine) -> None:
    open_backend("db", engine=engine).ensure_schema()
    with engine.connect() as conn:
        trans = conn.begin()
        open_backend("db", engine=conn).index([DOC])
        inside = open_backend("db", engine=conn).search(SearchQuery(text="bão"))
        assert [h.id for h in inside.hits] == ["in:1"]
        trans.rollback()
    assert open_backend("db", engine=engine).count() == 0
    with engine.connect() as conn, conn.begin():
        open_backend("db", engine=conn).index([DOC])
    assert open_backend("db", engine=engine).count() == 1


def test_invalid_documents_are_rejected(engine: sa.Engine) -> None:
    backend = open_backend("db", engine=engine)
    backend.ensure_schema()
    from search.base import SearchError

    with pytest.raises(SearchError):
        backend.index([incoming("", subject="x")])
    with pytest.raises(SearchError):
        backend.index([incoming("x", subject="x", secrecy=4)])
    assert backend.count() == 0


def test_unreachable_postgresql_is_unavailable_and_health_reports_it() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = sa.create_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{port}/none", connect_args={"connect_timeout": 2}
    )
    backend = open_backend("db", engine=engine)
    health = backend.health()
    assert not health.ok and health.backend == "postgresql" and health.detail
    with pytest.raises(SearchUnavailable):
        backend.search(SearchQuery(text="bão"))
    with pytest.raises(SearchUnavailable):
        backend.index([DOC])
    engine.dispose()


@pytest.fixture
def pg_backend() -> Iterator[PostgresBackend]:
    make, cleanup = postgres_backends()
    backend = make("reads")
    assert isinstance(backend, PostgresBackend)
    backend.reset()
    yield backend
    cleanup()


def _engine(backend: PostgresBackend) -> sa.Engine:
    assert isinstance(backend._bind, sa.Engine)
    return backend._bind


def test_postgresql_reads_the_same_newest_matches_by_every_path(
    pg_backend: PostgresBackend,
) -> None:
    docs = _dated(40, subject="Báo cáo")
    rare = {7, 8, 30}  # "lũ quét" in three documents, two of them old
    for i, doc in enumerate(docs):
        words = "bão lũ quét" if i in rare else "bão"
        docs[i] = IndexDocument(**{**doc.__dict__, "body": f"{words} khu vực {i}"})
    pg_backend.index(docs)
    pg_backend.optimize()  # statistics: the table's size weighs walking against the bitmap
    pg_backend.candidates_per_kind = 6
    pg_backend.count_limit = 5

    def answer(text: str) -> tuple[list[str], int, bool, dict[str, dict[str, int]]]:
        result = pg_backend.search(SearchQuery(text=text, per_page=4, facets=("direction",)))
        return [h.id for h in result.hits], result.total, result.total_exact, result.facets

    expected = {text: answer(text) for text in ("bão", "lũ quét", "khu vực 3", "")}
    # probe 2 + walk 30: "bão" is dense, so its rest is walked; "lũ quét" goes to the bitmap
    for probe, walk in ((2, 30), (2, 3), (1, 1), (50, 50)):
        pg_backend.probe_rows, pg_backend.walk_rows = probe, walk
        pg_backend._bounds_cache = None
        for text, want in expected.items():
            assert answer(text) == want, (probe, walk, text)
    assert expected["lũ quét"][:3] == (["d:30", "d:8", "d:7"], 3, True)
    assert expected["bão"][1:3] == (5, False)


def test_a_postgresql_read_past_its_budget_gives_nothing_and_the_search_goes_on(
    pg_backend: PostgresBackend,
) -> None:
    pg_backend.index(_dated(3, subject="Báo cáo bão"))
    engine = _engine(pg_backend)
    with engine.connect() as conn:
        slow = _Lookup("tsv", "pg_sleep(0.2) IS NOT NULL", (), budget_ms=20)
        assert pg_backend._read(conn, slow, "ord", 10) == []
        assert len(pg_backend._read(conn, _Lookup("tsv", "true", ()), "ord", 10)) == 3
    assert pg_backend.search(SearchQuery(text="bão")).total == 3


def test_postgresql_puts_back_the_settings_of_a_lent_connection(
    pg_backend: PostgresBackend,
) -> None:
    pg_backend.index(_dated(3, subject="Báo cáo bão"))
    engine = _engine(pg_backend)
    with engine.connect() as conn, conn.begin():
        lent = PostgresBackend(conn, table_prefix=pg_backend.docs.removesuffix("_docs"))
        lent.probe_rows, lent.walk_rows = 1, 1
        assert lent.search(SearchQuery(text="bão")).total == 3
        settings = conn.exec_driver_sql(
            "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), "
            "current_setting('enable_bitmapscan')"
        ).one()
        assert tuple(settings) == ("on", "on", "on")


def test_postgresql_stores_positions_weights_and_filters_in_its_tsvectors(
    pg_backend: PostgresBackend,
) -> None:
    doc = incoming(
        "t:1",
        number_notation="05/QĐ",
        subject="Bão bão",
        body="bão lũ " * 300,
    )
    pg_backend.index([doc])
    engine = _engine(pg_backend)
    direction = filter_token("direction", "incoming")
    with engine.connect() as conn:
        head, num = conn.exec_driver_sql(
            f"SELECT head_tsv::text, num_tsv::text FROM {pg_backend.docs}"
        ).one()
        # number at 1–2 (A), a gap, the subject at 4–5 (B) folded and accented, the subject's
        # adjacent pair (none across fields, none in the number), the filter, the month of
        # its order key (an undated document sorts at 1 January 1970)
        assert head == (
            f"'5':1A 'bao':4B,5B 'bao_bao' 'bão':4B,5B 'qd':2A '{direction}' 'zzm197001'"
        )
        assert num == "'5' 'qd'"
        pairs = conn.exec_driver_sql(
            f"SELECT array_agg(lexeme ORDER BY lexeme) FROM {pg_backend.docs}, unnest(tsv) "
            "WHERE strpos(lexeme, '_') > 0"
        ).scalar()
        assert pairs == ["bao_bao", "bao_lu", "lu_bao"]
        positions = dict(
            conn.exec_driver_sql(
                "SELECT lexeme, array_length(positions, 1) "
                f"FROM {pg_backend.docs}, unnest(tsv) WHERE lexeme IN ('bão', 'lũ', 'lu')"
            ).all()
        )
        assert positions == {"bão": 255, "lũ": 255, "lu": 255}  # PostgreSQL keeps 256


def test_postgresql_phrases_past_the_pairs_kept_are_found_by_their_positions(
    pg_backend: PostgresBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "MAX_PAIRS", 3)
    long = incoming("t:long", subject="Báo cáo", body="một hai ba bốn năm sáu bảy")
    short = incoming("t:short", subject="Báo cáo", body="sáu bảy")
    pg_backend.index([long, short])
    with _engine(pg_backend).connect() as conn:
        marked = conn.exec_driver_sql(
            f"SELECT doc_id FROM {pg_backend.docs} WHERE tsv @@ %s::tsquery",
            (postgres.PARTIAL_PAIRS,),
        ).scalars()
        assert list(marked) == ["t:long"]
    assert {h.id for h in pg_backend.search(SearchQuery(text='"sáu bảy"')).hits} == {
        "t:long",
        "t:short",
    }
    assert pg_backend.search(SearchQuery(text='"bảy sáu"')).total == 0


def test_postgresql_checks_positions_until_enough_newest_matches_pass(
    pg_backend: PostgresBackend,
) -> None:
    docs = _dated(40, subject="Báo cáo")
    for i, doc in enumerate(docs):
        # only d:3 and d:5 hold the phrase; every document holds its words and pairs
        body = "cơn bão số 3" if i in (3, 5) else "cơn bão, bão số 7, số 3"
        docs[i] = IndexDocument(**{**doc.__dict__, "body": body})
    pg_backend.index(docs)
    pg_backend.optimize()
    pg_backend.candidates_per_kind = 1
    pg_backend.count_limit = 1
    for probe, walk in ((2, 30), (2, 3), (50, 50)):
        pg_backend.probe_rows, pg_backend.walk_rows = probe, walk
        pg_backend._bounds_cache = None
        result = pg_backend.search(SearchQuery(text='"cơn bão số 3"', per_page=1))
        # the newest batches hold none: batches twice as large are checked until they do
        assert ([h.id for h in result.hits], result.total, result.total_exact) == (
            ["d:5"],
            1,
            False,
        ), (probe, walk)


def test_postgresql_reads_many_matches_a_few_months_at_a_time(
    pg_backend: PostgresBackend,
) -> None:
    start = dt.date(2023, 1, 1)
    docs = [
        IndexDocument(
            id=f"m:{i}",
            direction="incoming",
            subject="Báo cáo",
            body="bão khẩn" if i % 3 == 0 else "lũ",
            issued_date=start + dt.timedelta(days=9 * i),
        )
        for i in range(60)  # one every 9 days: 18 months
    ]
    pg_backend.index(docs)
    pg_backend.optimize()
    pg_backend.candidates_per_kind = 6
    pg_backend.count_limit = 3
    engine = _engine(pg_backend)
    statements: list[str] = []  # the parameters of every statement

    def answer(text: str) -> tuple[list[str], int, dict[str, dict[str, int]]]:
        statements.clear()
        result = pg_backend.search(SearchQuery(text=text, per_page=4, facets=("year",)))
        return [h.id for h in result.hits], result.total, result.facets

    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(str(a[3])))
    pg_backend.probe_rows = 100  # more than the documents: one read of every match
    expected = {text: answer(text) for text in ("bão", '"bão khẩn"')}
    assert not any("zzm" in s for s in statements)
    pg_backend.probe_rows, pg_backend.walk_rows = 3, 1
    pg_backend._bounds_cache = None
    for text, want in expected.items():
        assert answer(text) == want, text
        assert any("zzm" in s for s in statements), text  # read by month windows
    assert expected["bão"][:2] == (["m:57", "m:54", "m:51", "m:48"], 3)
