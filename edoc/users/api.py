"""Tokens and accounts over ``/api/v1``."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView

from edoc.api import Blueprint, refusals
from edoc.core.auth import Person, Role, api_roles, api_user
from edoc.core.extensions import limiter
from edoc.users import services
from edoc.users.models import Unit, User
from edoc.users.schemas import Credentials, TokenResponse, UnitSchema, UserSchema

blp = Blueprint("users_api", __name__, url_prefix="/api/v1", description="Tài khoản và token")


def token_limit() -> str:
    return current_app.config["EDOC"].ratelimit_token


@blp.route("/auth/token")
class Token(MethodView):
    @limiter.limit(token_limit)
    @blp.arguments(Credentials)
    @blp.response(201, TokenResponse)
    @refusals(blp, 401, 422)
    @blp.alt_response(429, description="Too many attempts from this address; see Retry-After.")
    def post(self, payload: dict[str, str]) -> dict[str, Any]:
        """Exchange a username and password for a bearer token."""
        user = services.authenticate(payload["username"], payload["password"])
        token, row = services.issue_api_token(user)
        return {"token": token, "expires_at": row.expires_at}

    @blp.response(204)
    @refusals(blp, 401)
    def delete(self) -> None:
        """Revoke the bearer token used for this call."""
        api_user()
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            services.revoke_api_token(header.removeprefix("Bearer ").strip())


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserSchema)
    @refusals(blp, 401)
    @api_roles()
    def get(self) -> Person:
        """The calling user."""
        return api_user()


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    @refusals(blp, 401, 403)
    @api_roles(Role.ADMIN)
    def get(self) -> list[User]:
        """All users (admin only)."""
        return services.list_users()


@blp.route("/units")
class Units(MethodView):
    @blp.response(200, UnitSchema(many=True))
    @refusals(blp, 401)
    @api_roles()
    def get(self) -> list[Unit]:
        """Organisational units."""
        return services.list_units()
