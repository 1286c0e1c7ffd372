"""A refused form comes back with everything typed (issue #16, checked again for #18): the
leader's direction with its lead unit, cooperating units and a bad deadline; the archivist's
new dossier. The quick deadlines under the date input count working days."""

from __future__ import annotations

import io
import re
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.core.clock import set_clock
from edoc.core.extensions import db
from edoc.users.models import Unit
from tests.fixtures.app import bearer, csrf_token_from, signed_in
from tests.fixtures.documents import INCOMING_FIELDS
from tests.fixtures.selfsigned import blank_pdf


def _registered(client: FlaskClient) -> int:
    response = client.post(
        "/api/v1/incoming",
        data={**INCOMING_FIELDS, "file": (io.BytesIO(blank_pdf("15/STC-NS")), "vb.pdf")},
        headers=bearer(client, "vanthu"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_bad_deadline_keeps_the_whole_direction(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    document_id = _registered(client)
    with app.app_context():
        lead, *cooperating = db.session.scalars(select(Unit.id).order_by(Unit.id)).all()[:3]
    leader = signed_in(app, "lanhdao")
    csrf = csrf_token_from(leader.get(f"/incoming/{document_id}").get_data(as_text=True))
    response = leader.post(
        f"/incoming/{document_id}/route",
        data={
            "csrf_token": csrf,
            "direction": "Giao phòng Tổng hợp chủ trì, báo cáo trước ngày 15",
            "lead_unit_id": str(lead),
            "cooperating_unit_ids": [str(u) for u in cooperating],
            "deadline": "31/02/2027",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ngày không hợp lệ (dd/mm/yyyy)." in page
    assert "Giao phòng Tổng hợp chủ trì, báo cáo trước ngày 15</textarea>" in page
    assert re.search(rf'<option value="{lead}" selected', page)
    for unit in cooperating:
        assert re.search(rf'value="{unit}" checked', page)
    assert 'type="date"' in page


def test_quick_deadlines_skip_weekends_and_holidays(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    document_id = _registered(client)
    leader = signed_in(app, "lanhdao")
    with set_clock(datetime(2026, 4, 28, 3)):  # 10:00 in Hà Nội
        page = leader.get(f"/incoming/{document_id}").get_data(as_text=True)
    quick = dict(re.findall(r'data-quick-date="([\d-]+)"[^>]*>(\d+) ngày<', page))
    # Tuesday 28/04/2026: 30/04 and 01/05 are holidays, then the weekend
    assert quick == {
        "2026-05-05": "3",
        "2026-05-07": "5",
        "2026-05-11": "7",
        "2026-05-14": "10",
    }


def test_a_refused_dossier_keeps_what_was_typed(app: Flask, demo: None) -> None:
    archivist = signed_in(app, "luutru")
    csrf = csrf_token_from(archivist.get("/dossiers/").get_data(as_text=True))
    response = archivist.post(
        "/dossiers/",
        data={
            "csrf_token": csrf,
            "code": "05.TH",
            "title": "Hồ sơ tổng hợp báo cáo năm",
            "retention_years": "mười",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="05.TH"' in page and 'value="Hồ sơ tổng hợp báo cáo năm"' in page
    assert 'value="mười"' in page
