from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.users.models import ApiToken, User
from tests.fixtures.app import api_token, csrf_token_from, login


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_each_demo_user_logs_in_to_their_dashboard(client: FlaskClient, demo: None) -> None:
    for username, role in [
        ("vanthu", "clerk"),
        ("lanhdao", "leader"),
        ("chuyenvien", "specialist"),
        ("luutru", "archivist"),
        ("quantri", "admin"),
    ]:
        response = login(client, username)
        assert response.status_code == 302
        page = client.get("/dashboard").get_data(as_text=True)
        assert f'data-testid="dashboard-{role}"' in page
        logout_page = client.get("/dashboard").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token_from(logout_page)})
        assert client.get("/dashboard").status_code == 302


def test_wrong_password_is_refused_and_audited(app: Flask, client: FlaskClient, demo: None) -> None:
    response = login(client, "vanthu", "wrong-password")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert _actions(app)[-1] == "auth.login_failed"
    assert client.get("/dashboard").status_code == 302


def test_unknown_user_gets_the_same_message(client: FlaskClient, demo: None) -> None:
    response = login(client, "nobody", "whatever-password")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)


def test_account_locks_after_repeated_failures(app: Flask, client: FlaskClient, demo: None) -> None:
    for _ in range(3):  # the test settings lock after 3
        login(client, "vanthu", "wrong-password")
    response = login(client, "vanthu")  # the right password, but locked
    # The same answer as a wrong password or an unknown name: a lock-out must not confirm that
    # the account exists. The login page states the lock-out policy; the audit log the reason.
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in page
    assert "tài khoản bị tạm khóa 15 phút" in page
    assert _actions(app)[-2:] == ["auth.account_locked", "auth.login_refused_locked"]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "vanthu"))
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert login(client, "vanthu").status_code == 302


def test_form_without_csrf_token_is_refused_and_audited(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    response = client.post("/login", data={"username": "vanthu", "password": "x"})
    assert response.status_code == 400
    assert "biểu mẫu không hợp lệ" in response.get_data(as_text=True)
    assert _actions(app)[-1] == "security.csrf_rejected"


def test_non_admin_opening_admin_page_gets_403_and_is_audited(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    login(client, "chuyenvien")
    for path in ["/admin/users", "/admin/units", "/admin/audit/"]:
        response = client.get(path)
        assert response.status_code == 403
        assert "Bạn không có quyền truy cập chức năng này." in response.get_data(as_text=True)
    assert _actions(app)[-1] == "security.access_denied"


def test_anonymous_user_is_sent_to_login(client: FlaskClient) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_api_token_round_trip(client: FlaskClient, demo: None) -> None:
    token = api_token(client, "lanhdao")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == "lanhdao"
    assert me.get_json()["roles"] == ["leader"]
    assert (
        client.delete(
            "/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 204
    )
    again = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401
    assert again.get_json()["error"]["code"] == "token_expired"


def test_api_wrong_password_is_json_401(client: FlaskClient, demo: None) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "vanthu", "password": "bad"})
    assert response.status_code == 401
    assert response.get_json() == {
        "error": {
            "code": "invalid_credentials",
            "message": "Tên đăng nhập hoặc mật khẩu không đúng.",
        }
    }


def test_forged_token_is_refused_and_audited(app: Flask, client: FlaskClient, demo: None) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer edoc_forged"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"
    assert _actions(app)[-1] == "auth.token_rejected"


def test_expired_token_is_refused_and_audited(app: Flask, client: FlaskClient, demo: None) -> None:
    token = api_token(client, "vanthu")
    with app.app_context():
        for row in db.session.scalars(select(ApiToken)):
            row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_expired"
    assert _actions(app)[-1] == "auth.token_rejected"


def test_api_without_credentials(client: FlaskClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_api_role_check(app: Flask, client: FlaskClient, demo: None) -> None:
    token = api_token(client, "chuyenvien")
    response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert _actions(app)[-1] == "security.access_denied"
    admin = api_token(client, "quantri")
    users = client.get("/api/v1/users", headers={"Authorization": f"Bearer {admin}"}).get_json()
    assert {u["username"] for u in users} == {
        "vanthu",
        "lanhdao",
        "chuyenvien",
        "luutru",
        "quantri",
    }


def test_session_cookie_api_writes_need_csrf(client: FlaskClient, demo: None) -> None:
    login(client, "lanhdao")
    assert client.get("/api/v1/me").get_json()["username"] == "lanhdao"
    refused = client.delete("/api/v1/auth/token")
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"


def test_passwords_are_stored_with_argon2id(app: Flask, demo: None) -> None:
    with app.app_context():
        hashes = list(db.session.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
