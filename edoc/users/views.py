"""Login, logout and the admin pages for users and units.

Each form is loaded through its schema in :mod:`edoc.users.schemas`; a refusal (a field that
does not pass, or the service saying no) re-renders the form with what was typed (never the
passwords) and answers its status, so the request rolls back whatever was begun.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.datastructures import MultiDict

from edoc.audit.queries import count_events
from edoc.core.auth import (
    ROLE_LABELS,
    Person,
    Role,
    login_required,
    register_token_loader,
    roles_required,
)
from edoc.core.clock import utcnow
from edoc.core.dashboard import DashboardItem, register_dashboard_provider
from edoc.core.errors import AppError, ValidationError
from edoc.core.extensions import limiter, login_manager
from edoc.core.forms import FormInvalid, load_form
from edoc.core.words import register_person_names
from edoc.users import services
from edoc.users.current import signed_in
from edoc.users.models import CLEARANCE_LABELS, User
from edoc.users.schemas import AgencyFields, Credentials, PasswordChange, UnitFields, UserFields

bp = Blueprint("users", __name__)


def init_users(app: Flask) -> None:
    """Sign-in by session cookie and by bearer token, and the admin's dashboard cards."""
    login_manager.init_app(app)
    login_manager.login_view = "users.login"
    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)
    register_token_loader(app, services.user_for_token)
    register_person_names(app, services.full_names)
    register_dashboard_provider(app, dashboard_items)


def _load_user(user_id: str) -> User | None:
    return services.user_for_session(int(user_id), session.get(services.SESSION_ID_KEY))


def dashboard_items(user: Person) -> list[DashboardItem]:
    if not user.has_role(Role.ADMIN):
        return []
    section = Role.ADMIN.label
    now = utcnow()
    locked = services.count_locked_users(now)
    failed = count_events(["auth.login_failed", "auth.account_locked"], now - timedelta(days=1))
    users_url = url_for("users.user_list")
    failures_url = url_for("audit.audit_list", action="auth.")
    return [
        DashboardItem(section, _("Tài khoản đang bị khóa"), locked, users_url, locked > 0),
        DashboardItem(
            section, _("Đăng nhập sai trong 24 giờ qua"), failed, failures_url, failed > 0
        ),
        DashboardItem(section, _("Người dùng"), services.count_users(), users_url),
    ]


def _safe_next(target: str | None) -> str:
    """Only follow relative redirects, never to another host."""
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("core.dashboard")


def login_limit() -> str:
    return current_app.config["EDOC"].ratelimit_login


def _refused(error: AppError) -> tuple[dict[str, str], int]:
    """The per-field messages of a form that did not pass; any other refusal is flashed."""
    if isinstance(error, FormInvalid):
        return error.fields, error.status
    flash(error.message, "error")
    return {}, error.status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            credentials = load_form(Credentials(), request.form)
            user = services.authenticate(credentials["username"], credentials["password"])
        except AppError as error:
            errors, status = _refused(error)
        else:
            session_id = services.start_session(user, request.remote_addr or "")
            login_user(user)
            session[services.SESSION_ID_KEY] = session_id
            return redirect(_safe_next(request.args.get("next")))
    page = render_template(
        "users/login.html",
        values=request.form,
        errors=errors,
        settings=current_app.config["EDOC"],
    )
    return page, status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if current_user.is_authenticated:  # loaded from the session id, so read it first
        services.end_session(signed_in(), session.get(services.SESSION_ID_KEY))
    session.pop(services.SESSION_ID_KEY, None)
    logout_user()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("users.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            change = load_form(PasswordChange(), request.form)
            session_id = services.change_password(
                signed_in(),
                change["current_password"],
                change["new_password"],
                ip=request.remote_addr or "",
            )
        except AppError as error:
            errors, status = _refused(error)
        else:
            session[services.SESSION_ID_KEY] = session_id
            flash(
                _("Đã đổi mật khẩu. Các phiên đăng nhập khác và mã truy cập API đã bị hủy."),
                "success",
            )
            return redirect(url_for("core.dashboard"))
    return render_template("users/password.html", errors=errors), status


def _unit_choices(blank: str) -> list[tuple[int, str]]:
    return [(0, blank)] + [(u.id, f"{u.code} — {u.name}") for u in services.list_units()]


def _values_of(user: User | None) -> Mapping[str, Any]:
    """The edit form of ``user`` as it stands (a new account starts active)."""
    if user is None:
        return MultiDict({"active": "y"})
    return MultiDict(
        [
            ("username", user.username),
            ("full_name", user.full_name),
            ("title", user.title),
            ("email", user.email),
            ("unit_id", user.unit_id or 0),
            ("clearance", user.clearance),
            *[("roles", role.value) for role in sorted(user.roles)],
            *([("active", "y")] if user.active else []),
        ]
    )


@bp.route("/admin/users")
@roles_required(Role.ADMIN)
def user_list() -> Any:
    return render_template("users/user_list.html", users=services.list_users())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_edit(user_id: int | None = None) -> Any:
    user = services.get_user(user_id) if user_id else None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            _save_user(user, load_form(UserFields(), request.form, lists=("roles",)))
        except AppError as error:
            errors, status = _refused(error)
        else:
            return redirect(url_for("users.user_list"))
    page = render_template(
        "users/user_edit.html",
        user=user,
        values=request.form if request.method == "POST" else _values_of(user),
        errors=errors,
        units=_unit_choices(_("— Không —")),
        roles=ROLE_LABELS,
        clearances=CLEARANCE_LABELS,
    )
    return page, status


def _save_user(user: User | None, fields: dict[str, Any]) -> None:
    password = fields.pop("password")
    active, unlock = fields.pop("active"), fields.pop("unlock")
    username = fields.pop("username")
    if user is None:
        if not password:
            raise ValidationError("password_required", _("Cần đặt mật khẩu ban đầu."))
        user = services.create_user(
            username=username, password=password, actor=signed_in(), **fields
        )
        flash(_("Đã tạo người dùng %(u)s.", u=user.username), "success")
        return
    services.update_user(
        user.id, active=active, new_password=password, unlock=unlock, actor=signed_in(), **fields
    )
    flash(_("Đã lưu thay đổi."), "success")


@bp.route("/admin/units", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def unit_list() -> Any:
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.create_unit(**load_form(UnitFields(), request.form), actor=signed_in())
        except AppError as error:
            errors, status = _refused(error)
        else:
            flash(_("Đã thêm đơn vị."), "success")
            return redirect(url_for("users.unit_list"))
    return _units_page(request.form, errors, _agency_values(), {}, status)


@bp.route("/admin/agency", methods=["POST"])
@roles_required(Role.ADMIN)
def agency_update() -> Any:
    """The agency's signing titles (TM. …, KT. …), a form on the units page."""
    try:
        services.update_agency(**load_form(AgencyFields(), request.form), actor=signed_in())
    except AppError as error:
        errors, status = _refused(error)
        return _units_page(MultiDict(), {}, request.form, errors, status)
    flash(_("Đã lưu thẩm quyền ký của cơ quan."), "success")
    return redirect(url_for("users.unit_list"))


def _agency_values() -> Mapping[str, str]:
    unit = services.agency_unit()
    if unit is None:
        return {}
    return {"collective_name": unit.collective_name, "head_title": unit.head_title}


def _units_page(
    values: Mapping[str, Any],
    errors: dict[str, str],
    agency_values: Mapping[str, Any],
    agency_errors: dict[str, str],
    status: int,
) -> Any:
    page = render_template(
        "users/unit_list.html",
        units=services.list_units(),
        agency=services.agency_unit(),
        values=values,
        errors=errors,
        agency_values=agency_values,
        agency_errors=agency_errors,
        parents=_unit_choices(_("— Cấp cao nhất —")),
    )
    return page, status
