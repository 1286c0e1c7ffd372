"""Sessions end on the server: logout, password change and password reset (issue 15, item 4).

A copy of a session cookie (stolen from a shared PC, a proxy log, a backup of a browser
profile) must stop working as soon as the user logs out or the password changes.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.extensions import db
from edoc.users.models import User, UserSession
from tests.fixtures.app import DEMO_PASSWORD, api_token, csrf_token_from, login

NEW_PASSWORD = "mat-khau-moi-2026"


def _copy_of_cookie(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/dashboard").status_code == 200


def _second_browser(app: Flask, client: FlaskClient, username: str) -> FlaskClient:
    """Sign ``username`` in on ``client`` and on another browser, which is returned."""
    other_pc = app.test_client()
    login(client, username)
    login(other_pc, username)
    return other_pc


def _post(client: FlaskClient, path: str, **data: object):
    token = csrf_token_from(client.get("/dashboard").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _change_password(client: FlaskClient, current: str, new: str, confirm: str | None = None):
    page = client.get("/account/password")
    assert page.status_code == 200
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


def _last_event(app: Flask, action: str) -> AuditEvent:
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc())
        ).first()
        assert event is not None, action
        return event


def test_a_copied_cookie_is_refused_after_logout(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    login(client, "vanthu")
    thief = _copy_of_cookie(app, client)
    assert _signed_in(thief)  # the copy works while the session is open
    _post(client, "/logout")
    assert not _signed_in(client)
    response = thief.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert thief.get("/api/v1/me").status_code == 401
    with app.app_context():
        assert db.session.scalar(select(UserSession.id)) is None


def test_logging_out_one_browser_keeps_the_others(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    other_pc = _second_browser(app, client, "vanthu")
    _post(client, "/logout")
    assert _signed_in(other_pc)


def test_password_change_ends_other_sessions_and_tokens_but_keeps_this_browser(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    other_pc = _second_browser(app, client, "lanhdao")
    token = api_token(app.test_client(), "lanhdao")
    copy_before_change = _copy_of_cookie(app, client)

    response = _change_password(client, DEMO_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    dashboard = client.get("/dashboard")  # this browser stays signed in
    assert dashboard.status_code == 200
    assert "Đã đổi mật khẩu." in dashboard.get_data(as_text=True)

    assert not _signed_in(other_pc)
    assert not _signed_in(copy_before_change)  # this browser's session id was renewed
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401 and me.get_json()["error"]["code"] == "token_expired"

    assert login(app.test_client(), "lanhdao").status_code == 401
    assert login(app.test_client(), "lanhdao", NEW_PASSWORD).status_code == 302
    event = _last_event(app, "auth.password_changed")
    assert event.actor_name == "lanhdao"
    assert event.details == {"sessions_ended": 2, "api_access_revoked": 1}
    assert NEW_PASSWORD not in str(event.details)


def test_password_change_needs_the_current_password(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    other_pc = _second_browser(app, client, "lanhdao")
    response = _change_password(client, "not-my-password", NEW_PASSWORD)
    assert response.status_code == 422
    assert "Mật khẩu hiện tại không đúng." in response.get_data(as_text=True)
    assert _last_event(app, "auth.password_change_refused").actor_name == "lanhdao"
    mismatch = _change_password(client, DEMO_PASSWORD, NEW_PASSWORD, confirm="something-else")
    assert mismatch.status_code == 422
    assert "Hai lần nhập mật khẩu mới không khớp." in mismatch.get_data(as_text=True)
    assert _signed_in(other_pc)
    assert login(app.test_client(), "lanhdao").status_code == 302


def test_admin_password_reset_ends_every_session_and_token_of_the_user(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        user_id, full_name = user.id, user.full_name
    users_pc = app.test_client()
    login(users_pc, "chuyenvien")
    token = api_token(app.test_client(), "chuyenvien")
    admin_pc = app.test_client()
    login(admin_pc, "quantri")
    page = admin_pc.get(f"/admin/users/{user_id}").get_data(as_text=True)
    response = admin_pc.post(
        f"/admin/users/{user_id}",
        data={
            "csrf_token": csrf_token_from(page),
            "username": "chuyenvien",
            "full_name": full_name,
            "unit_id": 0,
            "roles": ["specialist"],
            "clearance": 0,
            "active": "y",
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert not _signed_in(users_pc)
    me = users_pc.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert _signed_in(admin_pc)
    event = _last_event(app, "user.updated")
    assert event.actor_name == "quantri"
    assert event.details["changes"]["password_reset"] == {
        "sessions_ended": 1,
        "api_access_revoked": 1,
    }
    assert login(app.test_client(), "chuyenvien", NEW_PASSWORD).status_code == 302
