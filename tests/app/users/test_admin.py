from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from edoc.audit.models import AuditEvent
from edoc.cli import cli
from edoc.core.extensions import db
from edoc.users.models import Clearance, Role, Unit, User
from tests.fixtures.app import csrf_token_from, login
from tests.fixtures.people import add_person


def _form(client: FlaskClient, path: str, **data: object) -> TestResponse:
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_admin_creates_a_user_who_can_log_in(app: Flask, client: FlaskClient, demo: None) -> None:
    login(client, "quantri")
    with app.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "KT"))
    response = _form(
        client,
        "/admin/users/new",
        username="nguyenb",
        full_name="Nguyễn Thị Bình",
        title="Phó Trưởng phòng",
        unit_id=unit_id,
        roles=["specialist", "leader"],
        clearance=int(Clearance.MAT),
        password="mat-khau-dai",
        active="y",
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "nguyenb"))
        assert user.roles == {Role.SPECIALIST, Role.LEADER}
        assert user.clearance_level is Clearance.MAT
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event.action == "user.created" and event.actor_name == "quantri"
        assert "mat-khau-dai" not in str(event.details)
    other = app.test_client()
    assert login(other, "nguyenb", "mat-khau-dai").status_code == 302


def test_a_refused_form_keeps_what_was_typed_and_names_each_field(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    login(client, "quantri")
    response = _form(
        client,
        "/admin/users/new",
        username="nguyenc",
        full_name="Nguyễn Văn C",
        email="khong-phai-thu",
        roles=["leader"],
        clearance=int(Clearance.MAT),
        password="ngan",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Địa chỉ thư điện tử không hợp lệ." in page
    assert "Mật khẩu phải có ít nhất 8 ký tự." in page
    assert 'value="nguyenc"' in page and 'value="Nguyễn Văn C"' in page
    assert 'value="leader" checked' in page
    assert f'value="{int(Clearance.MAT)}" selected' in page
    assert "ngan" not in page  # a password is never sent back
    missing = _form(client, "/admin/units", code="", name="Phòng Y", parent_id=0)
    assert missing.status_code == 422
    assert "Trường này là bắt buộc." in missing.get_data(as_text=True)
    assert 'value="Phòng Y"' in missing.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "nguyenc")) is None


def test_duplicate_username_is_refused(client: FlaskClient, demo: None) -> None:
    login(client, "quantri")
    response = _form(
        client,
        "/admin/users/new",
        username="vanthu",
        full_name="Trùng",
        unit_id=0,
        roles=["clerk"],
        clearance=0,
        password="mat-khau-dai",
    )
    assert response.status_code == 409
    assert "Tên đăng nhập vanthu đã tồn tại." in response.get_data(as_text=True)


def test_admin_edits_roles_and_unlocks(app: Flask, client: FlaskClient, demo: None) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        user_id = user.id
    for _ in range(3):
        login(app.test_client(), "chuyenvien", "wrong-password")
    login(client, "quantri")
    changes = {"roles": ["specialist", "archivist"], "clearance": int(Clearance.TOI_MAT)}
    form = _edit_form(app, "chuyenvien", **changes, unlock="y")
    assert _form(client, f"/admin/users/{user_id}", **form).status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.roles == {Role.SPECIALIST, Role.ARCHIVIST}
        assert not user.is_locked()
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event.action == "user.updated"
        assert event.details["changes"]["roles"] == [["specialist"], ["archivist", "specialist"]]
    assert login(app.test_client(), "chuyenvien").status_code == 302


def test_the_unlock_command_lifts_the_lock_and_changes_nothing_else(app: Flask, demo: None) -> None:
    for _ in range(3):
        login(app.test_client(), "chuyenvien", "wrong-password")
    with app.app_context():
        before = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        assert before.is_locked()
        kept = (before.full_name, before.roles, before.clearance, before.unit_id, before.active)
    result = app.test_cli_runner().invoke(cli, ["user", "unlock", "chuyenvien"])
    assert result.exit_code == 0, result.output
    assert "unlocked chuyenvien" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        assert not user.is_locked() and user.failed_logins == 0
        assert (user.full_name, user.roles, user.clearance, user.unit_id, user.active) == kept
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event.action == "user.updated"
        assert event.details["changes"] == {"locked": [True, False]}
    assert login(app.test_client(), "chuyenvien").status_code == 302
    missing = app.test_cli_runner().invoke(cli, ["user", "unlock", "khongco"])
    assert missing.exit_code == 1 and "no user 'khongco'" in missing.output


def test_admin_creates_a_unit(app: Flask, client: FlaskClient, demo: None) -> None:
    login(client, "quantri")
    assert (
        _form(
            client, "/admin/units", code="vhxh", name="Phòng Văn hóa - Xã hội", parent_id=0
        ).status_code
        == 302
    )
    duplicate = _form(client, "/admin/units", code="VHXH", name="Trùng", parent_id=0)
    assert duplicate.status_code == 409
    with app.app_context():
        assert (
            db.session.scalar(select(Unit.name).where(Unit.code == "VHXH"))
            == "Phòng Văn hóa - Xã hội"
        )


def test_audit_page_filters(client: FlaskClient, demo: None) -> None:
    login(client, "quantri")
    page = client.get("/admin/audit/?action=user.created").get_data(as_text=True)
    cell = r"<td[^>]*>{}</td>"  # a cell carries its column's label for the phone's cards
    assert len(re.findall(cell.format("Tạo tài khoản"), page)) == 5  # the label, not the code
    assert not re.search(cell.format("Tạo đơn vị"), page)
    by_actor = client.get("/admin/audit/?actor=quantri").get_data(as_text=True)
    assert re.search(cell.format("Đăng nhập"), by_actor)


def _edit_form(app: Flask, username: str, **changes: object) -> dict[str, object]:
    """The edit form of ``username`` as it stands, with ``changes`` applied (None: not sent)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        form: dict[str, object] = {
            "username": user.username,
            "full_name": user.full_name,
            "title": user.title,
            "email": user.email,
            "unit_id": user.unit_id or 0,
            "roles": sorted(r.value for r in user.roles),
            "clearance": user.clearance,
            "active": "y",
        }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _user_id(app: Flask, username: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def test_admin_cannot_change_their_own_role_clearance_or_active_flag(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    login(client, "quantri")
    own_page = f"/admin/users/{_user_id(app, 'quantri')}"
    assert 'data-testid="self-edit-note"' in client.get(own_page).get_data(as_text=True)
    for changes in [
        {"clearance": int(Clearance.TUYET_MAT)},
        {"roles": ["admin", "leader"]},
        {"roles": ["clerk"]},
        {"active": None},  # an unticked box is not sent
    ]:
        response = _form(client, own_page, **_edit_form(app, "quantri", **changes))
        assert response.status_code == 403, changes
        assert "Một quản trị viên khác phải thực hiện việc này." in response.get_data(as_text=True)
    password = _form(client, own_page, **_edit_form(app, "quantri", password="mat-khau-moi-1"))
    assert password.status_code == 403
    assert "hãy dùng trang Đổi mật khẩu" in password.get_data(as_text=True)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "quantri"))
        assert admin.clearance_level is Clearance.NONE
        assert admin.roles == {Role.ADMIN} and admin.active
        refusals = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "security.self_change_refused")
        ).all()
        assert [e.details["fields"] for e in refusals] == [
            ["clearance"],
            ["roles"],
            ["roles"],
            ["active"],
            ["password"],
        ]
        assert {e.actor_name for e in refusals} == {"quantri"}
    assert login(app.test_client(), "quantri").status_code == 302  # old password unchanged
    # Editing the rest of one's own record is allowed.
    renamed = _form(client, own_page, **_edit_form(app, "quantri", title="Quản trị hệ thống"))
    assert renamed.status_code == 302


def test_another_admin_changes_an_admins_clearance_and_it_is_audited(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    add_person(app, "quantri2", "Quản trị thứ hai", Role.ADMIN, password="mat-khau-dai")
    signed_in = login(client, "quantri2", "mat-khau-dai")
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    response = _form(
        client,
        f"/admin/users/{_user_id(app, 'quantri')}",
        **_edit_form(app, "quantri", clearance=int(Clearance.MAT)),
    )
    assert response.status_code == 302
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "quantri"))
        assert admin.clearance_level is Clearance.MAT
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event.action == "user.updated" and event.actor_name == "quantri2"
        assert event.details["changes"]["clearance"] == [0, 1]
