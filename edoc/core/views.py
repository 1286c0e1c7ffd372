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
from flask_babel import gettext as _
from flask_login import current_user

from edoc.core.auth import Role, login_required
from edoc.core.dashboard import items_for
from edoc.core.errors import Forbidden
from edoc.core.health import run_health_checks
from edoc.core.metrics import metrics_allowed, render_metrics

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


@bp.route("/healthz/live")
def healthz_live() -> Any:
    """Liveness: the process answers. Checks nothing else, so a database outage does not get
    every web process restarted by its supervisor."""
    return jsonify({"status": "ok"})


@bp.route("/healthz")
@bp.route("/healthz/ready")
def healthz() -> Any:
    """Readiness: every part this process needs (database, storage, queue, search) answers;
    503 naming the parts that are down. ``/healthz`` is the same check, kept for existing
    monitors."""
    parts = run_health_checks()
    healthy = all(state == "ok" for state in parts.values())
    down = sorted(name for name, state in parts.items() if state != "ok")
    body: dict[str, Any] = {"status": "ok" if healthy else "degraded", **parts}
    if down:
        body["down"] = down
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics")
def metrics() -> Any:
    """Prometheus metrics; only with the metrics token, or from loopback when none is set."""
    if not metrics_allowed():
        raise Forbidden("metrics_forbidden", _("Không có quyền xem số liệu giám sát."))
    return render_metrics()
