"""Search inside the app: indexed with the change, secrecy in the query, OCR, outage, reindex."""

from __future__ import annotations

import dataclasses
import json
import socket
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edoc.cli import cli
from edoc.core.extensions import db
from edoc.jobs.models import OutboxEntry
from edoc.search.backend import search_backend
from edoc.search.indexing import drain
from edoc.search.models import TextExtract
from search.sqlcommon import SqlBackendBase
from tests.fixtures.app import bearer, login
from tests.fixtures.documents import receive_incoming
from tests.fixtures.pdfs import scan_pdf, text_pdf


def search(client: FlaskClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/search", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def outbox_rows(app: Flask) -> list[OutboxEntry]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxEntry).where(OutboxEntry.topic == "search")))


def test_a_document_is_found_as_soon_as_it_is_registered(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    body = text_pdf("Đề nghị các xã ven biển gia cố đê điều trước mùa mưa.")
    document_id = receive_incoming(client, clerk, body)
    assert outbox_rows(app) == []  # drained by the request that made the change

    for query in ("bao so 3", "bão số 3", "125/QĐ-SNN", "125/qd-snn", "125 qđ snn", "snn 125"):
        found = search(client, clerk, q=query)
        assert [r["id"] for r in found["results"]] == [document_id], query
    by_body = search(client, clerk, q="gia co de dieu")
    assert by_body["results"][0]["id"] == document_id
    assert "<mark>đê</mark> <mark>điều</mark>" in by_body["results"][0]["highlight"]["body"]
    assert by_body["facets"]["direction"] == {"incoming": 1}
    assert by_body["degraded"] is False

    suggestions = client.get("/api/v1/search/numbers?prefix=125/q", headers=clerk).get_json()
    assert [s["number_notation"] for s in suggestions] == ["125/QĐ-SNN"]


def test_search_page_shows_highlights_facets_and_suggestions(
    client: FlaskClient, clerk: dict[str, str]
) -> None:
    receive_incoming(
        client, clerk, text_pdf("Nội dung"), subject="Kế hoạch phòng chống <lũ> năm 2026"
    )
    login(client, "vanthu")
    page = client.get("/search/?q=phong+chong").get_data(as_text=True)
    assert "<mark>phòng</mark> <mark>chống</mark>" in page
    assert "&lt;lũ&gt;" in page and "<lũ>" not in page  # document text is escaped
    assert 'data-facet="direction"' in page and "Văn bản đến" in page
    suggestions = client.get("/search/suggest?q=125").get_json()
    assert suggestions[0]["number_notation"] == "125/QĐ-SNN"
    assert client.get(suggestions[0]["url"]).status_code == 302

    bad = client.get("/search/?q=x&from=31/02/2026")
    assert bad.status_code == 422
    assert "Ngày không hợp lệ (dd/mm/yyyy): 31/02/2026" in bad.get_data(as_text=True)


def test_a_total_past_the_count_limit_says_more_than_and_where_facets_were_counted(
    client: FlaskClient, clerk: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in (1, 2):
        receive_incoming(
            client, clerk, text_pdf("Nội dung"), subject=f"Kế hoạch tuyển dụng đợt {n}"
        )
    monkeypatch.setattr(SqlBackendBase, "count_limit", 1)
    login(client, "vanthu")
    page = client.get("/search/?q=tuyen+dung").get_data(as_text=True)
    assert "Tìm thấy hơn 1 văn bản" in page
    assert "Số đếm trên 1 văn bản mới nhất phù hợp." in page
    api = search(client, clerk, q="tuyen dung")
    assert (api["total"], api["total_exact"], api["facets_exact"]) == (1, False, False)
    monkeypatch.setattr(SqlBackendBase, "count_limit", 1000)
    page = client.get("/search/?q=tuyen+dung").get_data(as_text=True)
    assert "Tìm thấy 2 văn bản" in page and 'data-testid="facets-sample"' not in page


def test_secrecy_is_part_of_the_query(client: FlaskClient, clerk: dict[str, str]) -> None:
    receive_incoming(
        client, clerk, text_pdf("Thường"), subject="Kế hoạch diễn tập phòng thủ khu vực"
    )
    secret = receive_incoming(
        client,
        clerk,
        text_pdf("Mật"),
        subject="Kế hoạch diễn tập phòng thủ bí mật",
        number_notation="09/KH-BCH",
        secrecy="1",
    )
    specialist = bearer(client, "chuyenvien")
    leader = bearer(client, "lanhdao")
    seen_by_specialist = search(client, specialist, q="dien tap phong thu")
    assert seen_by_specialist["total"] == 1
    assert secret not in [r["id"] for r in seen_by_specialist["results"]]
    assert sum(seen_by_specialist["facets"]["doc_type"].values()) == 1
    assert search(client, specialist, q="09/KH-BCH")["total"] == 0
    assert client.get("/api/v1/search/numbers?prefix=09", headers=specialist).get_json() == []
    assert search(client, leader, q="dien tap phong thu")["total"] == 2


def test_a_word_only_in_a_scanned_page_is_found_and_the_reader_gets_the_text_layer(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    scan = scan_pdf("THÔNG BÁO\nSơ tán dân cư vùng trũng\nven sông Kỳ Lộ trước ngày 15/10")
    document_id = receive_incoming(
        client, clerk, scan, subject="Thông báo của UBND huyện Đồng Xuân"
    )
    found = search(client, clerk, q="ky lo")
    assert [r["id"] for r in found["results"]] == [document_id]
    assert "<mark>Kỳ</mark> <mark>Lộ</mark>" in found["results"][0]["highlight"]["body"]

    login(client, "vanthu")
    detail = client.get(f"/incoming/{document_id}").get_data(as_text=True)
    assert 'data-testid="ocr-copy"' in detail
    copy = client.get(f"/search/ocr/{document_id}")
    assert copy.status_code == 200 and copy.data.startswith(b"%PDF")
    original = client.get(f"/api/v1/documents/{document_id}/file", headers=clerk).data
    assert original == scan  # the original is never modified

    runner = app.test_cli_runner()
    fsck = runner.invoke(cli, ["fsck", "--json", "--grace-hours", "0"])
    assert fsck.exit_code == 0, fsck.output  # the OCR copy is a referenced blob, not an orphan


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _use_search_url(app: Flask, url: str) -> None:
    app.config["EDOC"] = dataclasses.replace(app.config["EDOC"], search_url=url)
    app.extensions.pop("edoc.search", None)
    app.extensions.pop("edoc.search.schema", None)


def test_an_index_outage_loses_nothing_and_search_says_it_is_degraded(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    _use_search_url(app, f"http://127.0.0.1:{_closed_port()}")
    document_id = receive_incoming(
        client, clerk, text_pdf("Nội dung"), subject="Báo cáo giải ngân vốn"
    )
    kept = outbox_rows(app)
    assert {row.document_id for row in kept} == {document_id}
    assert all(row.attempts >= 1 and row.last_error for row in kept)

    degraded = search(client, clerk, q="giải ngân")
    assert degraded["degraded"] is True
    assert [r["id"] for r in degraded["results"]] == [document_id]
    login(client, "vanthu")
    assert 'data-testid="search-degraded"' in client.get("/search/?q=x").get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["search"] == "down"

    _use_search_url(app, "db")
    with app.app_context():
        assert drain() == 1
    assert outbox_rows(app) == []
    recovered = search(client, clerk, q="giai ngan von")
    assert recovered["degraded"] is False
    assert [r["id"] for r in recovered["results"]] == [document_id]


def test_an_index_of_another_version_degrades_search_until_db_upgrade_rebuilds_it(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    document_id = receive_incoming(
        client, clerk, text_pdf("Nội dung"), subject="Về việc giải phóng mặt bằng"
    )
    with app.app_context():
        db.session.execute(
            sa.text("UPDATE search_meta SET value = '0' WHERE key = 'schema_version'")
        )
        db.session.commit()
    app.extensions.pop("edoc.search.schema", None)  # as after a restart on the new version

    degraded = search(client, clerk, q="giải phóng mặt bằng")
    assert degraded["degraded"] is True
    assert [r["id"] for r in degraded["results"]] == [document_id]

    result = app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "search index rebuilt for this version: 1 documents" in result.output
    rebuilt = search(client, clerk, q="giai phong mat bang")
    assert rebuilt["degraded"] is False
    assert [r["id"] for r in rebuilt["results"]] == [document_id]
    again = app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0 and "rebuilt" not in again.output


def test_an_installation_moving_to_tantivy_searches_degraded_until_db_upgrade_builds_it(
    app: Flask, client: FlaskClient, clerk: dict[str, str]
) -> None:
    document_id = receive_incoming(
        client, clerk, text_pdf("Nội dung"), subject="Về việc thu hồi đất nông nghiệp"
    )
    _use_search_url(app, "tantivy")  # the new default, on an installation indexed in SQL
    index_dir = app.config["EDOC"].data_dir / "search"

    degraded = search(client, clerk, q="thu hồi đất")
    assert degraded["degraded"] is True  # from the database, not an empty new index
    assert [r["id"] for r in degraded["results"]] == [document_id]
    assert not (index_dir / "CURRENT").exists()

    result = app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "search index rebuilt for this version: 1 documents" in result.output
    app.extensions.pop("edoc.search.schema", None)  # as after a restart
    moved = search(client, clerk, q="thu hoi dat nong nghiep")
    assert moved["degraded"] is False
    assert [r["id"] for r in moved["results"]] == [document_id]
    again = app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0 and "rebuilt" not in again.output


@pytest.mark.parametrize("search_url", ["tantivy"])
def test_a_new_installation_on_tantivy_starts_with_an_empty_index(
    app: Flask, client: FlaskClient, clerk: dict[str, str], search_url: str
) -> None:
    result = app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0 and "rebuilt" not in result.output
    empty = search(client, clerk, q="bất kỳ")
    assert empty["degraded"] is False and empty["total"] == 0
    document_id = receive_incoming(
        client, clerk, text_pdf("Nội dung"), subject="Về việc cấp giấy chứng nhận"
    )
    found = search(client, clerk, q="cap giay chung nhan")
    assert [r["id"] for r in found["results"]] == [document_id]


@pytest.mark.parametrize("url", ["closed-port", "nosuch://engine"])
def test_db_upgrade_goes_on_when_the_search_engine_is_down_or_misnamed(
    app: Flask, url: str
) -> None:
    _use_search_url(app, f"http://127.0.0.1:{_closed_port()}" if url == "closed-port" else url)
    result = app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at head" in result.output and "rebuilt" not in result.output


@pytest.mark.parametrize("search_url", ["db", "tantivy"])
def test_reindex_rebuilds_everything_from_the_database(
    app: Flask, client: FlaskClient, clerk: dict[str, str], search_url: str
) -> None:
    first = receive_incoming(client, clerk, text_pdf("Đầu tư công"), subject="Về việc đầu tư công")
    second = receive_incoming(
        client, clerk, text_pdf("Đất đai"), subject="Về việc đo đạc đất đai", number_notation="7/X"
    )
    with app.app_context():
        search_backend().reset()
        db.session.add(OutboxEntry(topic="search", document_id=first))  # a change in flight
        db.session.commit()
    assert search(client, clerk, q="dau tu")["total"] == 0

    result = app.test_cli_runner().invoke(cli, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "2 văn bản" in result.output
    assert [r["id"] for r in search(client, clerk, q="dau tu")["results"]] == [first]
    assert [r["id"] for r in search(client, clerk, q="do dac dat dai")["results"]] == [second]
    assert outbox_rows(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TextExtract)) == 2

    status = app.test_cli_runner().invoke(cli, ["search-status"])
    assert status.exit_code == 0
    assert json.loads(status.output)["documents"] == 2


def test_bad_parameters_get_precise_errors_and_user_text_never_fails(
    client: FlaskClient, clerk: dict[str, str]
) -> None:
    for params, code in (
        ({"from": "31/02/2026"}, "invalid_date"),
        ({"page": "0"}, "invalid_paging"),
        ({"per_page": "1000"}, "invalid_paging"),
        ({"sort": "newest"}, "invalid_sort"),
    ):
        response = client.get("/api/v1/search", query_string=params, headers=clerk)
        assert response.status_code == 422, params
        assert response.get_json()["error"]["code"] == code
    for text in ('"', "(", "AND OR NOT", "*:*", "125/QĐ-UBND)", "x" * 2000, "\x00"):
        assert search(client, clerk, q=text)["total"] == 0


def test_search_needs_a_login(client: FlaskClient, demo: None) -> None:
    assert client.get("/api/v1/search?q=x").status_code == 401
    page = client.get("/search/?q=x")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert client.get("/api/v1/search/status").status_code == 401
    specialist = bearer(client, "chuyenvien")
    assert client.get("/api/v1/search/status", headers=specialist).status_code == 403
