"""Each role's dashboard lists what waits (new, due soon, overdue, waiting for me), at most ten
each with a link to all of them, and never a secret document to someone not cleared for it.
Read on 19/03/2026 over the month of tests/fixtures/workload.py."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import event

from edoc.core.clock import set_clock
from edoc.core.extensions import db
from edoc.dossiers import services as dossiers
from edoc.incoming import services as incoming
from tests.fixtures.app import signed_in
from tests.fixtures.workload import at, build_march, receive, report, route, unit, user

TODAY = at(date(2026, 3, 19), 10)
SECRET = "Về việc phương án bảo vệ mục tiêu"


@pytest.fixture
def month(app: Flask, demo: None) -> dict[str, int]:
    ids = build_march(app)
    with app.app_context():
        secret = receive(SECRET, date(2026, 3, 10), secrecy=1)
        route(secret, date(2026, 3, 10), date(2026, 3, 12), lead_unit_id=unit("TH").id)
        for n in range(12):  # waiting to be presented: more than a list shows
            receive(f"Về việc đề nghị số {n + 1:02d}", date(2026, 3, 16))
        presented = receive("Về việc xin ý kiến chỉ đạo", date(2026, 3, 17))
        with set_clock(at(date(2026, 3, 17), 10)):
            incoming.present(presented, user("lanhdao").id, user("vanthu"))
        db.session.commit()
    return ids


def _lists(app: Flask, username: str) -> dict[str, list[str]]:
    """The dashboard's lists, by title: their rows' text."""
    with set_clock(TODAY):
        html = signed_in(app, username).get("/dashboard").get_data(as_text=True)
    lists = {}
    for article in html.split('data-testid="dashboard-list"')[1:]:
        article = article.split("</article>")[0]
        title = re.search(r"<strong>(.*?)</strong>", article).group(1)
        rows = re.findall(r"<li>(.*?)</li>", article, re.S)
        lists[title] = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in rows]
        see_all = re.search(r'data-testid="see-all">(.*?)<', article)
        if see_all:
            lists[title].append(see_all.group(1))
    return lists


def test_the_leaders_lists(app: Flask, month: dict[str, int]) -> None:
    lists = _lists(app, "lanhdao")
    [presented] = lists["Văn bản chờ ý kiến chỉ đạo"]
    assert "Về việc xin ý kiến chỉ đạo" in presented and presented.endswith("đến 17/03/2026")
    with app.app_context():
        mine = {"status": "presented", "presented_to_id": user("lanhdao").id}
        theirs = {"status": "presented", "presented_to_id": user("lanhdao2").id}
    client = signed_in(app, "lanhdao")
    assert "Về việc xin ý kiến chỉ đạo" in client.get("/incoming/", query_string=mine).text
    assert "Về việc xin ý kiến chỉ đạo" not in client.get("/incoming/", query_string=theirs).text
    [soon] = lists["Văn bản sắp đến hạn giải quyết"]
    assert "Về việc kiểm tra giá vật liệu" in soon and soon.endswith("hạn 20/03/2026")
    overdue = lists["Văn bản quá hạn giải quyết"]
    assert len(overdue) == 2
    assert "Về việc tổng kết năm 2025" in overdue[0] and "quá hạn 05/03/2026" in overdue[0]
    assert SECRET in overdue[1] and "quá hạn 12/03/2026" in overdue[1]


def test_a_leader_not_cleared_never_sees_the_secret_one(app: Flask, month: dict) -> None:
    overdue = _lists(app, "lanhdao2")["Văn bản quá hạn giải quyết"]
    assert len(overdue) == 1 and SECRET not in " ".join(overdue)


def test_the_clerks_lists_are_bounded(app: Flask, month: dict[str, int]) -> None:
    waiting = _lists(app, "vanthu")["Đã vào sổ, chưa trình lãnh đạo"]
    assert len(waiting) == 11 and waiting[-1] == "Xem tất cả (12)"
    assert all("đến 16/03/2026" in row for row in waiting[:10])
    with set_clock(TODAY):
        html = signed_in(app, "vanthu").get("/dashboard").get_data(as_text=True)
    assert 'href="/incoming/?status=registered" data-testid="see-all"' in html


def test_the_specialists_lists(app: Flask, month: dict[str, int]) -> None:
    lists = _lists(app, "chuyenvien")
    new = lists["Văn bản mới được giao"]
    assert len(new) == 2  # D7 (lead, overdue) and D8 (cooperating); the secret one is not his
    assert "Về việc tổng kết năm 2025" in new[0] and "quá hạn 05/03/2026" in new[0]
    assert "Về việc giá đất năm 2026" in new[1] and "hạn 31/03/2026" in new[1]
    assert [row for row in lists["Việc quá hạn"] if "tổng kết" in row]
    assert "Sắp đến hạn" not in lists
    assert SECRET not in str(lists)

    cleared = _lists(app, "thmat")["Việc quá hạn"]
    assert SECRET in " ".join(cleared)

    ktv = _lists(app, "ktv")
    assert "Về việc kiểm tra giá vật liệu" in ktv["Sắp đến hạn"][0]
    assert len(ktv["Văn bản được giao xử lý"]) == 3
    assert len(ktv["Văn bản mới được giao"]) == 2  # D4 has a progress report


def test_the_archivists_lists(app: Flask, month: dict[str, int]) -> None:
    with app.app_context():
        archivist = user("luutru")
        for code, year in (("11.TH", 2026), ("12.TH", 2025)):
            dossiers.create(
                dossiers.DossierFields(year=year, code=code, title=f"Hồ sơ {code}"), archivist
            )
        closing = dossiers.by_code(2025, "12.TH")
        dossiers.add_documents(closing.id, [month["D1"]], archivist)
        with set_clock(at(date(2025, 4, 1))):
            dossiers.close(closing.id, archivist)
        db.session.commit()
    lists = _lists(app, "luutru")
    assert lists == {
        "Hồ sơ đang mở năm nay": ["11.TH — Hồ sơ 11.TH"],
        "Hồ sơ đến hạn nộp lưu": ["12.TH — Hồ sơ 12.TH hạn nộp lưu 01/04/2026"],
    }


def _statements_for_dashboard(app: Flask, username: str) -> int:
    """How many SQL statements one dashboard of ``username`` runs."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    client = signed_in(app, username)
    event.listen(engine, "before_cursor_execute", count)
    try:
        with set_clock(TODAY):
            assert client.get("/dashboard").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_the_tasks_lists_cost_the_same_queries_for_one_task_or_twenty(
    app: Flask, demo: None
) -> None:
    """The task lists load each task's routing, document and notes with the tasks: the number
    of statements does not grow with the number of tasks."""

    def assign(n: int) -> int:
        document_id = receive(f"Về việc giao nhiệm vụ số {n:02d}", date(2026, 3, 10))
        lead = {"lead_user_id": user("chuyenvien").id}
        return route(document_id, date(2026, 3, 11), date(2026, 3, 10 + n), **lead)

    with app.app_context():
        report(assign(1), "chuyenvien", date(2026, 3, 12), done=False)
        db.session.commit()
    one = _statements_for_dashboard(app, "chuyenvien")
    with app.app_context():
        for n in range(2, 21):
            task_id = assign(n)
            if n % 2:
                report(task_id, "chuyenvien", date(2026, 3, 12), done=False)
        db.session.commit()
    lists = _lists(app, "chuyenvien")
    assert len(lists["Văn bản được giao xử lý"]) == 11  # ten and "Xem tất cả (20)"
    assert _statements_for_dashboard(app, "chuyenvien") == one
