"""The pages every signed-in person shares: the start page, the dashboard, ``/healthz``, the
site icon."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    send_from_directory,
    url_for,
)
from flask_login import current_user

from edoc.core.auth import Role, login_required
from edoc.core.dashboard import items_for
from edoc.core.health import run_health_checks

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


@bp.route("/favicon.ico")
def favicon() -> Any:
    """The site icon where browsers and bookmarks look for it without reading the page's
    ``<link rel=icon>``: the same SVG, cached for a day."""
    return send_from_directory(
        str(current_app.static_folder), "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )


@bp.route("/healthz")
def healthz() -> Any:
    parts = run_health_checks()
    healthy = all(state == "ok" for state in parts.values())
    response = jsonify({"status": "ok" if healthy else "degraded", **parts})
    response.status_code = 200 if healthy else 503
    return response
