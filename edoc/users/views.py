"""Login, logout and the admin pages for users and units."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from edoc.core.auth import login_required, roles_required
from edoc.core.errors import AppError
from edoc.core.extensions import db, limiter
from edoc.users import services
from edoc.users.forms import ChangePasswordForm, LoginForm, UnitForm, UserForm
from edoc.users.models import Clearance, Role

bp = Blueprint("users", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow relative redirects, never to another host."""
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("core.dashboard")


def login_limit() -> str:
    return current_app.config["EDOC"].ratelimit_login


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data)
        except AppError as error:
            flash(error.message, "error")
            status = error.status
        else:
            session_id = services.start_session(user, request.remote_addr or "")
            db.session.commit()
            login_user(user)
            session[services.SESSION_ID_KEY] = session_id
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    settings = current_app.config["EDOC"]
    return render_template("users/login.html", form=form, settings=settings), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if current_user.is_authenticated:  # loaded from the session id, so read it first
        services.end_session(
            current_user._get_current_object(), session.get(services.SESSION_ID_KEY)
        )
        db.session.commit()
    session.pop(services.SESSION_ID_KEY, None)
    logout_user()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("users.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            session_id = services.change_password(
                current_user._get_current_object(),
                form.current_password.data,
                form.new_password.data,
                ip=request.remote_addr or "",
            )
            db.session.commit()
            session[services.SESSION_ID_KEY] = session_id
        except AppError as error:
            db.session.rollback()
            flash(error.message, "error")
            status = error.status
        else:
            flash(
                _("Đã đổi mật khẩu. Các phiên đăng nhập khác và mã truy cập API đã bị hủy."),
                "success",
            )
            return redirect(url_for("core.dashboard"))
    elif request.method == "POST":
        status = 422
    return render_template("users/password.html", form=form), status


def _unit_choices(blank: str) -> list[tuple[int, str]]:
    return [(0, blank)] + [(u.id, f"{u.code} — {u.name}") for u in services.list_units()]


@bp.route("/admin/users")
@roles_required(Role.ADMIN)
def user_list() -> Any:
    return render_template("users/user_list.html", users=services.list_users())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_edit(user_id: int | None = None) -> Any:
    user = services.get_user(user_id) if user_id else None
    form = UserForm(obj=user)
    form.unit_id.choices = _unit_choices(_("— Không —"))
    if request.method == "GET" and user is not None:
        form.roles.data = sorted(r.value for r in user.roles)
        form.unit_id.data = user.unit_id or 0
    status = 200
    if form.validate_on_submit():
        fields = {
            "full_name": form.full_name.data,
            "title": form.title.data or "",
            "email": form.email.data or "",
            "roles": form.roles.data,
            "unit_id": form.unit_id.data or None,
            "clearance": Clearance(form.clearance.data),
        }
        try:
            if user is None:
                if not form.password.data:
                    raise AppError("password_required", _("Cần đặt mật khẩu ban đầu."), 422)
                user = services.create_user(
                    username=form.username.data,
                    password=form.password.data,
                    actor=current_user._get_current_object(),
                    **fields,
                )
                flash(_("Đã tạo người dùng %(u)s.", u=user.username), "success")
            else:
                services.update_user(
                    user.id,
                    active=form.active.data,
                    new_password=form.password.data or None,
                    unlock=form.unlock.data,
                    actor=current_user._get_current_object(),
                    **fields,
                )
                flash(_("Đã lưu thay đổi."), "success")
            return redirect(url_for("users.user_list"))
        except AppError as error:
            db.session.rollback()
            flash(error.message, "error")
            status = error.status
    elif request.method == "POST":
        status = 422
    return render_template("users/user_edit.html", form=form, user=user), status


@bp.route("/admin/units", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def unit_list() -> Any:
    form = UnitForm()
    form.parent_id.choices = _unit_choices(_("— Cấp cao nhất —"))
    status = 200
    if form.validate_on_submit():
        try:
            services.create_unit(
                code=form.code.data,
                name=form.name.data,
                parent_id=form.parent_id.data or None,
                actor=current_user._get_current_object(),
            )
            flash(_("Đã thêm đơn vị."), "success")
            return redirect(url_for("users.unit_list"))
        except AppError as error:
            db.session.rollback()
            flash(error.message, "error")
            status = error.status
    elif request.method == "POST":
        status = 422
    return render_template("users/unit_list.html", form=form, units=services.list_units()), status
