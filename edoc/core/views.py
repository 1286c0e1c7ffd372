from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from edoc.audit.models import AuditEvent
from edoc.core.auth import login_required
from edoc.core.clock import utcnow
from edoc.core.dashboard import DashboardItem, items_for
from edoc.core.extensions import db
from edoc.core.health import run_health_checks
from edoc.users.models import Role, User

bp = Blueprint("core", __name__)


@bp.route("/")
def index() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    return redirect(url_for("users.login"))


@bp.route("/dashboard")
@login_required
def dashboard() -> Any:
    items = items_for(current_user)
    sections = [role for role in Role if role in current_user.roles]
    return render_template("core/dashboard.html", items=items, sections=sections)


@bp.route("/healthz")
def healthz() -> Any:
    parts = run_health_checks()
    healthy = all(state == "ok" for state in parts.values())
    response = jsonify({"status": "ok" if healthy else "degraded", **parts})
    response.status_code = 200 if healthy else 503
    return response


def admin_dashboard_items(user: User) -> list[DashboardItem]:
    if not user.has_role(Role.ADMIN):
        return []
    section = Role.ADMIN.label
    now = utcnow()
    locked = db.session.scalar(select(func.count()).where(User.locked_until > now)) or 0
    failed = (
        db.session.scalar(
            select(func.count()).where(
                AuditEvent.action.in_(["auth.login_failed", "auth.account_locked"]),
                AuditEvent.at >= now - timedelta(days=1),
            )
        )
        or 0
    )
    users = db.session.scalar(select(func.count()).select_from(User)) or 0
    return [
        DashboardItem(
            section, _("Tài khoản đang bị khóa"), locked, url_for("users.user_list"), locked > 0
        ),
        DashboardItem(
            section,
            _("Đăng nhập sai trong 24 giờ qua"),
            failed,
            url_for("audit.audit_list", action="auth."),
            failed > 0,
        ),
        DashboardItem(section, _("Người dùng"), users, url_for("users.user_list")),
    ]
