"""``/api/v1``: flask-smorest for request validation and the generated OpenAPI document.

Errors from every endpoint use one envelope, ``{"error": {"code", "message"}}``, rendered by
:mod:`edoc.errors`; flask-smorest's own error handler is therefore not installed.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from edoc.extensions import csrf


class EdocApi(Api):
    def _register_error_handlers(self) -> None:  # our envelope, see edoc.errors
        pass


api = EdocApi()

BEARER_SCHEME = {"type": "http", "scheme": "bearer"}


def init_api(app: Flask) -> None:
    api.init_app(app, spec_kwargs={"servers": [{"url": "/"}]})
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.spec.options["security"] = [{"bearerAuth": []}]


def register_api_blueprint(blueprint) -> None:
    # Bearer-token calls carry no cookie, so no CSRF risk; session-cookie calls are checked
    # explicitly in edoc.auth.api_user.
    csrf.exempt(blueprint)
    api.register_blueprint(blueprint)
