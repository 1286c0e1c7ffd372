"""Health checks each part registers; ``/healthz`` runs them all."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app
from sqlalchemy import text

from edoc.core.extensions import db

HealthCheck = Callable[[], None]  # raises when the part is down


def register_health_check(app: Flask, name: str, check: HealthCheck) -> None:
    app.extensions.setdefault("edoc.health", {})[name] = check


def run_health_checks() -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in current_app.extensions.get("edoc.health", {}).items():
        try:
            check()
        except Exception as error:  # any failure means "down"; the reason is logged, not shown
            current_app.logger.warning("health check %s failed: %s", name, error)
            db.session.rollback()
            results[name] = "down"
        else:
            results[name] = "ok"
    return results


def check_database() -> None:
    db.session.execute(text("SELECT 1"))
