"""Tokens and accounts over ``/api/v1``."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from marshmallow import Schema, fields

from edoc.api import Blueprint, UtcDateTime
from edoc.core.auth import api_roles, api_user
from edoc.core.extensions import limiter
from edoc.users import services
from edoc.users.models import Role

blp = Blueprint("users_api", __name__, url_prefix="/api/v1", description="Tài khoản và token")


class TokenRequest(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenResponse(Schema):
    token = fields.String(required=True)
    expires_at = UtcDateTime(required=True)


class UnitSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    title = fields.String()
    email = fields.String()
    unit_id = fields.Integer(allow_none=True)
    roles = fields.Method("_roles")
    clearance = fields.Integer()
    active = fields.Boolean()

    def _roles(self, user: Any) -> list[str]:
        return sorted(r.value for r in user.roles)


def token_limit() -> str:
    return current_app.config["EDOC"].ratelimit_token


@blp.route("/auth/token")
class Token(MethodView):
    @limiter.limit(token_limit)
    @blp.arguments(TokenRequest)
    @blp.response(201, TokenResponse)
    @blp.alt_response(429, description="Too many attempts from this address; see Retry-After.")
    def post(self, payload: dict[str, str]) -> dict[str, Any]:
        """Exchange a username and password for a bearer token."""
        user = services.authenticate(payload["username"], payload["password"])
        token, row = services.issue_api_token(user)
        return {"token": token, "expires_at": row.expires_at}

    @blp.response(204)
    def delete(self) -> None:
        """Revoke the bearer token used for this call."""
        api_user()
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            services.revoke_api_token(header.removeprefix("Bearer ").strip())


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserSchema)
    @api_roles()
    def get(self) -> Any:
        """The calling user."""
        return api_user()


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    @api_roles(Role.ADMIN)
    def get(self) -> Any:
        """All users (admin only)."""
        return services.list_users()


@blp.route("/units")
class Units(MethodView):
    @blp.response(200, UnitSchema(many=True))
    @api_roles()
    def get(self) -> Any:
        """Organisational units."""
        return services.list_units()
