"""The application factory: the one place that knows every area and plugs it in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dotenv import load_dotenv
from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from edoc.api import init_api, register_api_blueprint
from edoc.audit.labels import action_group_label, action_label, object_label, readable_details
from edoc.audit.services import init_audit
from edoc.audit.views import bp as audit_bp
from edoc.blobs.service import init_storage
from edoc.config import Settings
from edoc.core.auth import Role
from edoc.core.dashboard import nav_links_for, register_dashboard_provider, register_nav_link
from edoc.core.db import configure_sqlite, init_request_transactions
from edoc.core.errors import register_error_handlers
from edoc.core.extensions import babel, csrf, db, limiter
from edoc.core.health import check_database, register_health_check
from edoc.core.lists import label_cells
from edoc.core.logs import configure_logging, init_request_ids
from edoc.core.metrics import init_request_metrics, register_metric_source
from edoc.core.params import IdConverter
from edoc.core.views import bp as core_bp
from edoc.core.words import init_words
from edoc.directory.api import blp as directory_api
from edoc.directory.views import bp as directory_bp
from edoc.discussion.api import blp as discussion_api
from edoc.discussion.views import init_discussion
from edoc.documents.panels import document_panels, list_marks
from edoc.documents.views_common import stored_file_state
from edoc.dossiers.api import blp as dossiers_api
from edoc.dossiers.views import bp as dossiers_bp
from edoc.dossiers.views import dashboard_items as dossier_dashboard_items
from edoc.dossiers.views import init_dossiers
from edoc.exchange.api import blp as exchange_api
from edoc.exchange.views import init_exchange
from edoc.incoming.api import blp as incoming_api
from edoc.incoming.tracking import dashboard_items as incoming_dashboard_items
from edoc.incoming.views import bp as incoming_bp
from edoc.incoming.views import register_sender_notice
from edoc.integrations.api import blp as integrations_api
from edoc.integrations.views import init_integrations
from edoc.jobs.api import blp as jobs_api
from edoc.jobs.metrics import job_gauges
from edoc.jobs.queue import check_queue
from edoc.jobs.runtime import init_jobs
from edoc.legacy.views import bp as legacy_bp
from edoc.legacy.views import init_legacy
from edoc.notifications.api import blp as notifications_api
from edoc.notifications.views import init_notifications
from edoc.outgoing.access import init_draft_readers
from edoc.outgoing.api import blp as outgoing_api
from edoc.outgoing.sending import recall_notice
from edoc.outgoing.views import bp as outgoing_bp
from edoc.outgoing.views import dashboard_items as outgoing_dashboard_items
from edoc.remote_signing.api import blp as remote_signing_api
from edoc.remote_signing.csc_api import bp as csc_bp
from edoc.remote_signing.leader import init_remote_signing
from edoc.remote_signing.views import bp as remote_signing_bp
from edoc.search.api import blp as search_api
from edoc.search.views import init_search
from edoc.statistics.views import bp as statistics_bp
from edoc.users.api import blp as users_api
from edoc.users.views import bp as users_bp
from edoc.users.views import init_users


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
    configure_logging(settings.log_format)
    init_request_ids(app, log_requests=settings.log_format == "json")
    init_request_metrics(app)

    hops = (
        settings.trusted_proxies,
        settings.proxy_x_proto,
        settings.proxy_x_host,
        settings.proxy_x_port,
        settings.proxy_x_prefix,
    )
    if any(hops):
        # The client's address (rate limits, audit), the scheme (secure cookies, links) and
        # host are the ones the trusted proxies saw.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.proxy_x_proto,
            x_host=settings.proxy_x_host,
            x_port=settings.proxy_x_port,
            x_prefix=settings.proxy_x_prefix,
        )

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    init_request_transactions(app)
    init_jobs(app)
    limiter.init_app(app)  # before CSRF, so that requests failing CSRF count against the limit
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "vi")
    init_users(app)
    init_audit(app)
    _register_blueprints(app)
    init_remote_signing(app)
    _register_template_helpers(app)
    register_error_handlers(app)
    app.after_request(_security_headers)
    return app


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


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(core_bp)
    app.register_blueprint(users_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(incoming_bp)
    app.register_blueprint(dossiers_bp)
    app.register_blueprint(outgoing_bp)
    app.register_blueprint(directory_bp)
    app.register_blueprint(statistics_bp)
    app.register_blueprint(legacy_bp)
    app.register_blueprint(csc_bp)
    app.register_blueprint(remote_signing_bp)

    init_api(app)
    register_api_blueprint(users_api)
    register_api_blueprint(incoming_api)
    register_api_blueprint(jobs_api)
    register_api_blueprint(outgoing_api)
    register_api_blueprint(directory_api)
    register_api_blueprint(search_api)
    register_api_blueprint(exchange_api)
    register_api_blueprint(integrations_api)
    register_api_blueprint(dossiers_api)
    register_api_blueprint(discussion_api)
    register_api_blueprint(notifications_api)
    register_api_blueprint(remote_signing_api)

    init_draft_readers(app)
    register_sender_notice(app, recall_notice)
    register_health_check(app, "database", check_database)
    register_health_check(app, "queue", check_queue)
    register_metric_source(app, job_gauges)
    init_storage(app)
    register_dashboard_provider(app, incoming_dashboard_items)
    register_dashboard_provider(app, outgoing_dashboard_items)
    register_dashboard_provider(app, dossier_dashboard_items)
    register_nav_link(app, _l("Văn bản đến"), "incoming.incoming_list")
    register_nav_link(app, _l("Văn bản đi"), "outgoing.outgoing_list")
    register_nav_link(app, _l("Việc được giao"), "incoming.my_tasks")
    register_nav_link(app, _l("Hồ sơ"), "dossiers.dossier_list", "archivist", "clerk", "leader")
    register_nav_link(app, _l("Danh bạ cơ quan"), "directory.directory_list", "clerk", "admin")
    register_nav_link(app, _l("Thống kê"), "statistics.statistics_page", "leader", "clerk")
    init_search(app)
    init_dossiers(app)
    init_legacy(app)
    init_exchange(app)
    init_integrations(app)
    init_discussion(app)
    init_notifications(app)


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        Role=Role,
        area_links=nav_links_for,
        stored_file_state=stored_file_state,
        document_panels=document_panels,
        list_marks=list_marks,
    )
    app.jinja_env.filters["label_cells"] = label_cells
    init_words(
        app,
        action_label=action_label,
        action_group_label=action_group_label,
        audit_details=readable_details,
        object_label=object_label,
    )
