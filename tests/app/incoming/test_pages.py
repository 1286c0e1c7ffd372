"""The incoming pages load their forms through the API's schemas: a refused form comes back
with what was typed and a Vietnamese message by each field, answered >= 400 so that nothing it
wrote is kept; documents' visibility rules are handed down by the areas above."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import ColumnElement, false, func, select
from werkzeug.test import TestResponse

from edoc.core.errors import NotFound
from edoc.core.extensions import db
from edoc.documents.access import (
    VisibilityRule,
    can_see,
    get_visible_document,
    register_visibility_rule,
    visible,
)
from edoc.documents.models import Direction, Document
from edoc.incoming.models import IncomingDocument, Routing
from edoc.users.models import User
from tests.fixtures.app import api_token, csrf_token_from, login
from tests.fixtures.documents import INCOMING_FIELDS
from tests.fixtures.selfsigned import blank_pdf


def _received(client: FlaskClient) -> int:
    """A registered paper document, received through the API."""
    bearer = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    response = client.post(
        "/api/v1/incoming",
        data={**INCOMING_FIELDS, "file": (io.BytesIO(blank_pdf("15/STC-NS")), "vb.pdf")},
        headers=bearer,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _signed_in(client: FlaskClient, username: str) -> str:
    login(client, username)
    return csrf_token_from(client.get("/incoming/").get_data(as_text=True))


def _receive_page(client: FlaskClient, csrf: str, **fields: str) -> TestResponse:
    """The clerk's receive form, sent with a scan."""
    return client.post(
        "/incoming/new",
        data={
            **INCOMING_FIELDS,
            **fields,
            "csrf_token": csrf,
            "file": (io.BytesIO(blank_pdf("x")), "a.pdf"),
        },
        content_type="multipart/form-data",
    )


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def clerk_csrf(client: FlaskClient, demo: None) -> str:
    return _signed_in(client, "vanthu")


def test_a_refused_receive_form_keeps_what_was_typed(
    app: Flask, client: FlaskClient, clerk_csrf: str
) -> None:
    response = _receive_page(
        client, clerk_csrf, subject="", issued_date="31/02/2026", page_count="ba"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Cần nhập trích yếu nội dung." in page
    assert "Ngày không hợp lệ (dd/mm/yyyy)." in page
    assert "Phải là một số nguyên." in page
    assert 'value="Sở Tài chính tỉnh Demo"' in page
    assert 'value="31/02/2026"' in page
    assert _count(app, IncomingDocument) == 0


def test_the_receive_form_takes_dates_as_people_type_them(
    app: Flask, client: FlaskClient, clerk_csrf: str
) -> None:
    response = _receive_page(client, clerk_csrf, issued_date="11/01/2026")
    assert response.status_code == 302
    with app.app_context():
        document = db.session.scalars(select(Document)).one()
        assert document.issued_date.isoformat() == "2026-01-11"


def test_a_refused_direction_shows_the_form_again_and_writes_nothing(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    document_id = _received(client)
    csrf = _signed_in(client, "lanhdao")
    response = client.post(
        f"/incoming/{document_id}/route",
        data={
            "csrf_token": csrf,
            "direction": "Giao phòng Tổng hợp chủ trì",
            "deadline": "99/99/2099",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Giao phòng Tổng hợp chủ trì</textarea>" in page
    assert "Ngày không hợp lệ (dd/mm/yyyy)." in page
    # The service's own rule (a lead is needed) also comes back by its field.
    response = client.post(
        f"/incoming/{document_id}/route",
        data={"csrf_token": csrf, "direction": "Giao xử lý", "deadline": "31/12/2099"},
    )
    assert response.status_code == 422
    assert "Cần chọn đơn vị hoặc người chủ trì." in response.get_data(as_text=True)
    assert _count(app, Routing) == 0


def test_a_refused_action_rolls_back_and_a_good_one_is_kept(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    document_id = _received(client)
    csrf = _signed_in(client, "vanthu")
    with app.app_context():
        clerk_id = db.session.scalar(select(User.id).where(User.username == "vanthu"))
        leader_id = db.session.scalar(select(User.id).where(User.username == "lanhdao"))
    refused = client.post(
        f"/incoming/{document_id}/present", data={"csrf_token": csrf, "leader_id": clerk_id}
    )
    assert refused.status_code == 422
    assert "Người nhận trình phải là lãnh đạo." in refused.get_data(as_text=True)
    accepted = client.post(
        f"/incoming/{document_id}/present", data={"csrf_token": csrf, "leader_id": leader_id}
    )
    assert accepted.status_code == 302
    with app.app_context():
        incoming = db.session.get(IncomingDocument, document_id)
        assert incoming.presented_to_id == leader_id


def test_the_register_form_and_the_api_refuse_a_reversed_range(
    client: FlaskClient, clerk_csrf: str
) -> None:
    page = client.get("/incoming/register?from=31/12/2026&to=01/01/2026&format=pdf")
    assert page.status_code == 422
    assert "Ngày bắt đầu phải trước ngày kết thúc." in page.get_data(as_text=True)
    assert 'value="2026-12-31"' in page.get_data(as_text=True)  # the date input's form
    bearer = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    api = client.get("/api/v1/incoming/register?from=2026-12-31&to=2026-01-01", headers=bearer)
    assert api.status_code == 422
    assert "to" in api.get_json()["error"]["details"]["query"]


def test_a_bad_list_filter_is_shown_by_its_field(client: FlaskClient, clerk_csrf: str) -> None:
    response = client.get("/incoming/?from=32/01/2026&q=quyết+toán")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ngày không hợp lệ (dd/mm/yyyy)." in page
    assert 'value="quyết toán"' in page


def _nobody(user: User) -> ColumnElement[bool]:
    return false()


def test_a_registered_visibility_rule_narrows_every_generic_path(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    document_id = _received(client)
    with app.app_context():
        clerk = db.session.scalar(select(User).where(User.username == "vanthu"))
        document = db.session.get(Document, document_id)
        every = select(func.count()).select_from(Document)
        assert can_see(clerk, document)
        assert db.session.scalar(visible(every, clerk)) == 1
        register_visibility_rule(
            app, Direction.INCOMING, VisibilityRule(lambda user, doc: False, _nobody)
        )
        assert not can_see(clerk, document)
        assert db.session.scalar(visible(every, clerk)) == 0
        with pytest.raises(NotFound):
            get_visible_document(document_id, clerk)
        # a rule narrows its own direction only
        register_visibility_rule(
            app, Direction.OUTGOING, VisibilityRule(lambda user, doc: False, _nobody)
        )
        app.extensions["edoc.visibility_rules"].pop(Direction.INCOMING)
        assert can_see(clerk, document)
        assert db.session.scalar(visible(every, clerk)) == 1
