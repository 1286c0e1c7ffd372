"""The archivist's daily points: closing asks first and lists what is still being handled,
a closed dossier reopens with a reason (audited), the transfer schedule (ND30: within a year of
closing, for dossiers kept five years or more), documents in date order."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.clock import set_clock
from edoc.core.extensions import db
from edoc.dossiers import services
from edoc.dossiers.models import DossierStatus
from edoc.users import services as users
from edoc.users.models import Clearance, Role
from tests.fixtures.app import DEMO_PASSWORD, bearer, csrf_token_from, signed_in
from tests.fixtures.documents import flashes
from tests.fixtures.workload import at, build_march, receive, user


def _dossier(code: str, ids: list[int], retention: int | None = 10) -> int:
    archivist = user("luutru")
    dossier = services.create(
        services.DossierFields(
            year=2026, code=code, title=f"Hồ sơ {code}", retention_years=retention
        ),
        archivist,
    )
    services.add_documents(dossier.id, ids, archivist)
    return dossier.id


def _status(app: Flask, dossier_id: int) -> str:
    with app.app_context():
        return services.get(dossier_id).status


def _post_form(client: FlaskClient, url: str, token: str, **fields: str) -> list[str]:
    """Post a dossier form as the page does; the flashed messages of the page it leads to."""
    answer = client.post(url, data={"csrf_token": token, **fields}, follow_redirects=True)
    return flashes(answer)


def _rows(html: str, testid: str) -> list[str]:
    table = html.split(f'data-testid="{testid}"')[1].split("</table>")[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.split(">", 1)[1])).strip()
        for row in table.split("<tr")[2:]
    ]


def test_closing_asks_and_lists_the_documents_still_handled(app: Flask, demo: None) -> None:
    ids = build_march(app)
    with app.app_context():
        secret = receive("Về việc kế hoạch bảo mật", date(2026, 3, 20), secrecy=1)
        users.create_user(
            username="luutru2",
            full_name="Ngô Thị Lan",
            password=DEMO_PASSWORD,
            roles=[Role.ARCHIVIST],
            clearance=Clearance.NONE,
            actor=user("quantri"),
        )
        # filed out of date order: D4 (09/03), D1 (01/03, done), D3 (04/03), the secret one
        dossier_id = _dossier("09.TH", [ids["D4"], ids["D1"], ids["D3"], secret])
        db.session.commit()

    client = signed_in(app, "luutru")
    detail = client.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert f'href="/dossiers/{dossier_id}/close"' in detail
    dates = [row.split()[-1] for row in _rows(detail, "dossier-documents")]
    assert dates == ["01/03/2026", "04/03/2026", "09/03/2026", "19/03/2026"]

    page = client.get(f"/dossiers/{dossier_id}/close")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = _rows(html, "in-hand-documents")
    assert len(rows) == 3  # D3, D4 routed; the secret one registered; D1 is done
    assert "Về việc kiểm tra giá vật liệu" in rows[0] and "Đang xử lý" in rows[0]
    assert "Về việc đầu tư công năm 2027" in rows[1]
    assert "Về việc kế hoạch bảo mật" in rows[2] and "Đã vào sổ" in rows[2]
    assert "Còn 3 văn bản đang được xử lý" in html

    assert "Hồ sơ có 4 văn bản." in html and "không được xem" not in html

    # an archivist not cleared for Mật: neither the secret one nor how many such are counted
    uncleared = signed_in(app, "luutru2")
    other = uncleared.get(f"/dossiers/{dossier_id}/close").get_data(as_text=True)
    assert "kế hoạch bảo mật" not in other and len(_rows(other, "in-hand-documents")) == 2
    assert "Hồ sơ có 3 văn bản." in other and "Còn 2 văn bản đang được xử lý" in other
    assert "Hồ sơ còn văn bản bạn không được xem đang xử lý." in other
    assert "độ mật cao hơn" not in other and "4 văn bản" not in other
    # the API tells the dossier without any count of its documents or pages
    api = uncleared.get(f"/api/v1/dossiers/{dossier_id}").get_json()
    assert api["code"] == "09.TH" and not {"page_count", "document_count", "documents"} & set(api)

    token = csrf_token_from(html)
    unconfirmed = client.post(f"/dossiers/{dossier_id}/close", data={"csrf_token": token})
    assert unconfirmed.status_code == 302 and unconfirmed.location.endswith(
        f"/dossiers/{dossier_id}/close"
    )
    assert _status(app, dossier_id) == DossierStatus.OPEN
    closed = _post_form(client, f"/dossiers/{dossier_id}/close", token, confirm="1")
    assert "Đã đóng hồ sơ." in closed
    assert _status(app, dossier_id) == DossierStatus.CLOSED
    assert signed_in(app, "vanthu").get(f"/dossiers/{dossier_id}/close").status_code == 403

    with app.app_context():
        empty = services.create(
            services.DossierFields(year=2026, code="E", title="E"), user("luutru")
        )
        db.session.commit()
        empty_id = empty.id
    nothing = client.get(f"/dossiers/{empty_id}/close").get_data(as_text=True)
    assert "Hồ sơ chưa có văn bản, chưa thể đóng." in nothing and "confirm-close" not in nothing


def test_reopen_needs_a_reason_and_is_audited(app: Flask, demo: None) -> None:
    ids = build_march(app)
    with app.app_context():
        dossier_id = _dossier("10.TH", [ids["D1"]])
        services.close(dossier_id, user("luutru"))
        db.session.commit()
    client = signed_in(app, "luutru")
    token = csrf_token_from(client.get(f"/dossiers/{dossier_id}").get_data(as_text=True))
    reopen = f"/dossiers/{dossier_id}/reopen"
    assert "Cần nêu lý do mở lại hồ sơ." in _post_form(client, reopen, token, reason=" ")
    assert _status(app, dossier_id) == DossierStatus.CLOSED
    reopened = _post_form(client, reopen, token, reason="Bổ sung văn bản còn thiếu")
    assert "Đã mở lại hồ sơ." in reopened
    with app.app_context():
        dossier = services.get(dossier_id)
        assert dossier.status == DossierStatus.OPEN and dossier.closed_at is None
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "dossier.reopened")
        )
        assert event.details["reason"] == "Bổ sung văn bản còn thiếu"
        assert event.actor_name and event.object_id == str(dossier_id)

    api = app.test_client()
    archivist, clerk = bearer(api, "luutru"), bearer(api, "vanthu")
    url = f"/api/v1/dossiers/{dossier_id}/reopen"
    again = api.post(url, json={"reason": "lần hai"}, headers=archivist)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "dossier_not_closed"
    with app.app_context():
        services.close(dossier_id, user("luutru"))
        db.session.commit()
    assert api.post(url, json={"reason": "x"}, headers=clerk).status_code == 403
    empty = api.post(url, json={"reason": ""}, headers=archivist)
    assert empty.status_code == 422 and empty.get_json()["error"]["code"] == "reason_required"
    ok = api.post(url, json={"reason": "Tiếp tục giải quyết"}, headers=archivist)
    assert ok.status_code == 200 and ok.get_json()["status"] == "open"
    assert api.get(f"/api/v1/dossiers/{dossier_id}", headers=clerk).get_json()["code"] == "10.TH"


def test_transfer_schedule_follows_nd30(app: Flask, demo: None) -> None:
    ids = build_march(app)
    with app.app_context():
        archivist = user("luutru")
        closings = [
            ("A", 10, date(2025, 10, 1)),  # deadline 01/10/2026: overdue on 15/11/2026
            ("B", None, date(2026, 1, 20)),  # permanent, deadline 20/01/2027: due within 90 days
            ("C", 20, date(2026, 6, 1)),  # deadline 01/06/2027: not yet
            ("D", 2, date(2025, 5, 1)),  # kept 2 years: stays with the unit, never transferred
        ]
        for code, retention, day in closings:
            dossier_id = _dossier(code, [ids["D1"]], retention)
            with set_clock(at(day)):
                services.close(dossier_id, archivist)
        db.session.commit()
        with set_clock(at(date(2026, 11, 15))):
            schedule = services.transfer_schedule()
            due = services.due_for_transfer()
        assert [(i.dossier.code, i.deadline, i.overdue, i.due_soon) for i in schedule] == [
            ("A", date(2026, 10, 1), True, False),
            ("B", date(2027, 1, 20), False, True),
            ("C", date(2027, 6, 1), False, False),
        ]
        assert [i.dossier.code for i in due] == ["A", "B"]

    client = signed_in(app, "luutru")
    with set_clock(at(date(2026, 11, 15))):
        page = client.get("/dossiers/?year=2026").get_data(as_text=True)
        api = app.test_client()
        listed = api.get("/api/v1/dossiers/transfer-due", headers=bearer(api, "luutru"))
    rows = _rows(page, "due-for-transfer")
    assert len(rows) == 2
    assert rows[0].startswith("A ") and "01/10/2026" in rows[0] and "Quá hạn" in rows[0]
    assert rows[1].startswith("B ") and "20/01/2027" in rows[1] and "Đến hạn" in rows[1]
    assert [(d["dossier"]["code"], d["overdue"]) for d in listed.get_json()] == [
        ("A", True),
        ("B", False),
    ]
