"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from dotenv import load_dotenv
from flask import Flask, request, session
from flask_babel import format_date, format_datetime, format_decimal
from werkzeug.middleware.proxy_fix import ProxyFix

from edoc.config import Settings
from edoc.core.db import configure_sqlite, init_request_transactions
from edoc.core.extensions import babel, csrf, db, limiter, login_manager
from edoc.core.params import IdConverter
from edoc.jobs.runtime import init_jobs


def create_app(
    settings: Settings | None = None, overrides: Mapping[str, Any] | None = None
) -> Flask:
    """Build the app; ``settings`` defaults to the validated ``EDOC_*`` environment."""
    if settings is None:
        load_dotenv(".env", override=False)
        settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    app = Flask(__name__)
    # Every <int:…> in a route is an id: bounded, so an id no row can have is a 404, not a 500.
    app.url_map.converters["int"] = IdConverter
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Vietnamese stays readable
    app.config.update(settings.flask_config())
    if overrides:
        app.config.update(overrides)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    if settings.trusted_proxies:
        # The client's address (rate limits, audit) is the one the trusted proxies saw.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    init_request_transactions(app)
    init_jobs(app)
    limiter.init_app(app)  # before CSRF, so that requests failing CSRF count against the limit
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "vi")
    _init_login(app)
    _register_blueprints(app)
    _register_template_helpers(app)

    from edoc.core.errors import register_error_handlers

    register_error_handlers(app)

    @app.after_request
    def _security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith("/api/v1/openapi"):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                "connect-src 'self' http://127.0.0.1:* http://localhost:*",
            )
        return response

    return app


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from edoc.users.models import User
    from edoc.users.services import SESSION_ID_KEY, user_for_session

    login_manager.init_app(app)
    login_manager.login_view = "users.login"
    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        return user_for_session(int(user_id), session.get(SESSION_ID_KEY))


def _register_blueprints(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from edoc.api import init_api, register_api_blueprint
    from edoc.audit.views import bp as audit_bp
    from edoc.blobs.service import init_storage
    from edoc.core.dashboard import register_dashboard_provider, register_nav_link
    from edoc.core.health import check_database, register_health_check
    from edoc.core.views import admin_dashboard_items
    from edoc.core.views import bp as core_bp
    from edoc.dossiers.views import bp as dossiers_bp
    from edoc.dossiers.views import dashboard_items as dossier_dashboard_items
    from edoc.dossiers.views import init_dossiers
    from edoc.incoming.api import blp as incoming_api
    from edoc.incoming.tracking import dashboard_items as incoming_dashboard_items
    from edoc.incoming.views import bp as incoming_bp
    from edoc.jobs.api import blp as jobs_api
    from edoc.outgoing.api import blp as outgoing_api
    from edoc.outgoing.views import bp as outgoing_bp
    from edoc.outgoing.views import dashboard_items as outgoing_dashboard_items
    from edoc.search.api import blp as search_api
    from edoc.search.views import init_search
    from edoc.users.api import blp as users_api
    from edoc.users.views import bp as users_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(users_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(incoming_bp)
    app.register_blueprint(dossiers_bp)
    app.register_blueprint(outgoing_bp)

    init_api(app)
    register_api_blueprint(users_api)
    register_api_blueprint(incoming_api)
    register_api_blueprint(jobs_api)
    register_api_blueprint(outgoing_api)
    register_api_blueprint(search_api)

    register_health_check(app, "database", check_database)
    init_storage(app)
    register_dashboard_provider(app, incoming_dashboard_items)
    register_dashboard_provider(app, outgoing_dashboard_items)
    register_dashboard_provider(app, dossier_dashboard_items)
    register_dashboard_provider(app, admin_dashboard_items)
    register_nav_link(app, _l("Văn bản đến"), "incoming.incoming_list")
    register_nav_link(app, _l("Văn bản đi"), "outgoing.outgoing_list")
    register_nav_link(app, _l("Việc được giao"), "incoming.my_tasks")
    register_nav_link(app, _l("Hồ sơ"), "dossiers.dossier_list", "archivist", "clerk", "leader")
    init_search(app)
    init_dossiers(app)


def _register_template_helpers(app: Flask) -> None:
    from edoc.audit.labels import action_label
    from edoc.core.dashboard import nav_links_for
    from edoc.documents.views_common import stored_file_state
    from edoc.users.models import Role

    app.jinja_env.globals.update(
        Role=Role, area_links=nav_links_for, stored_file_state=stored_file_state
    )
    app.jinja_env.filters["action_label"] = action_label

    @app.template_filter("date_vn")
    def _date_vn(value: Any) -> str:
        return format_date(value, "dd/MM/yyyy") if value else ""

    @app.template_filter("number_vn")
    def _number_vn(value: Any) -> str:
        return format_decimal(value) if value is not None else ""

    @app.template_filter("datetime_vn")
    def _datetime_vn(value: Any) -> str:
        return format_datetime(value, "dd/MM/yyyy HH:mm") if value else ""
