"""Tokens and accounts over ``/api/v1``."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_babel import gettext as _

from edoc.api import Blueprint, refusals
from edoc.core.auth import Person, Role, api_roles, api_user
from edoc.core.errors import NotFound
from edoc.core.extensions import limiter
from edoc.users import services
from edoc.users.models import Unit, User
from edoc.users.schemas import (
    AgencyFields,
    AgencySchema,
    Credentials,
    TokenResponse,
    UnitSchema,
    UserSchema,
)

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


@blp.route("/agency")
class Agency(MethodView):
    @blp.response(200, AgencySchema)
    @refusals(blp, 401, (404, "No top unit (the agency) exists yet."))
    @api_roles()
    def get(self) -> Unit:
        """The agency (the top unit) and its signing titles: the collective's name printed after
        "TM." and the head's title printed after "KT.", "Q.", "TL.", "TUQ." (ND30)."""
        unit = services.agency_unit()
        if unit is None:
            raise NotFound("agency_not_found", _("Chưa có đơn vị cấp cao nhất (cơ quan)."))
        return unit

    @blp.arguments(AgencyFields)
    @blp.response(200, AgencySchema)
    @refusals(blp, 401, 403, (404, "No top unit (the agency) exists yet."))
    @api_roles(Role.ADMIN)
    def put(self, fields: dict[str, str]) -> Unit:
        """Set the agency's signing titles (admin only); drafts are signed under the titles in
        force when the leader signs."""
        return services.update_agency(**fields, actor=api_user())
