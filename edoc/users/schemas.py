"""What the account actions accept and what the API answers, said once for the pages and the
API (the pages load ``request.form`` with :func:`edoc.core.forms.load_form`)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from edoc.api import UtcDateTime, response_schema
from edoc.core.auth import Role
from edoc.core.params import MAX_ID
from edoc.users.models import Clearance

MIN_PASSWORD_LENGTH = 8

_PASSWORD_LENGTH = validate.Length(
    min=MIN_PASSWORD_LENGTH, error="Mật khẩu phải có ít nhất {min} ký tự."
)


def _text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


class Credentials(Schema):
    """Signing in: the login page and ``POST /api/v1/auth/token``."""

    username = _text(64, required=True)
    password = fields.String(required=True, load_only=True)


class PasswordChange(Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True, validate=_PASSWORD_LENGTH)
    confirm = fields.String(required=True, load_only=True)

    @validates_schema
    def _same_twice(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("confirm") != data.get("new_password"):
            raise ValidationError("Hai lần nhập mật khẩu mới không khớp.", "confirm")


def _optional_id(**kwargs: Any) -> fields.Integer:
    """A unit picked from a list whose first choice, 0 (or nothing), means none."""
    return fields.Integer(
        load_default=0, validate=validate.Range(0, MAX_ID, error="Giá trị không hợp lệ."), **kwargs
    )


class UserFields(Schema):
    """An account as an administrator creates or edits it."""

    username = _text(64, required=True)
    full_name = _text(255, required=True)
    title = _text(255, load_default="")
    email = fields.String(
        load_default="",
        validate=[
            validate.Email(error="Địa chỉ thư điện tử không hợp lệ."),
            validate.Length(max=255),
        ],
    )
    unit_id = _optional_id()
    roles = fields.List(fields.String(validate=validate.OneOf(list(Role))), load_default=list)
    clearance = fields.Integer(load_default=0, validate=validate.OneOf(list(Clearance)))
    password = fields.String(load_default=None, load_only=True, validate=_PASSWORD_LENGTH)
    active = fields.Boolean(load_default=False)  # an unticked box is not sent
    unlock = fields.Boolean(load_default=False)

    @post_load
    def _typed(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return data | {
            "unit_id": data["unit_id"] or None,
            "roles": [Role(role) for role in data["roles"]],
            "clearance": Clearance(data["clearance"]),
        }


class UnitFields(Schema):
    code = _text(32, required=True)
    name = _text(255, required=True)
    parent_id = _optional_id()

    @post_load
    def _typed(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        return data | {"parent_id": data["parent_id"] or None}


class AgencyFields(Schema):
    """The agency's signing titles, as an administrator sets them (empty: not used)."""

    collective_name = _text(
        255,
        load_default="",
        metadata={"description": "the collective signed for after TM., e.g. Ủy ban nhân dân"},
    )
    head_title = _text(
        255,
        load_default="",
        metadata={"description": "the head's title after KT., Q., TL., TUQ., e.g. Chủ tịch"},
    )


class TokenResponse(Schema):
    token = fields.String(required=True)
    expires_at = UtcDateTime(required=True)


UnitSchema = response_schema("UnitSchema", id=int, code=str, name=str, parent_id=int | None)

AgencySchema = response_schema(
    "AgencySchema", id=int, code=str, name=str, collective_name=str, head_title=str
)

UserSchema = response_schema(
    "UserSchema",
    id=int,
    username=str,
    full_name=str,
    title=str,
    email=str,
    unit_id=int | None,
    roles=fields.Function(lambda user: sorted(role.value for role in user.roles)),
    clearance=int,
    active=bool,
)
