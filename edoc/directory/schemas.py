"""What the directory's pages and API accept and give back, said once for both."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from edoc.api import UtcDateTime
from edoc.core.forms import Text, UploadedFile, organ_code_rule, text
from edoc.core.organ_codes import EXAMPLE
from edoc.core.params import page_field, per_page_field
from edoc.directory.models import Level

CODE_TOO_LONG = "Mã định danh dài quá 32 ký tự."


def _optional_code(value: str | None) -> None:
    if value:
        organ_code_rule(value)


def _optional_email(value: str) -> None:
    if value:
        validate.Email(error="Thư điện tử không hợp lệ.")(value)


def _details(required: bool) -> dict[str, fields.Field]:
    """The fields of an agency besides its code; all optional when ``required`` is false (an
    update changes only what it sends)."""
    name = (
        text(
            required="Cần nhập tên cơ quan, tổ chức.",
            max_length=255,
            too_long="Tên cơ quan, tổ chức dài quá 255 ký tự.",
        )
        if required
        else Text(
            validate=[
                validate.Length(min=1, error="Cần nhập tên cơ quan, tổ chức."),
                validate.Length(max=255, error="Tên cơ quan, tổ chức dài quá 255 ký tự."),
            ]
        )
    )
    optional: dict[str, Any] = {"load_default": None} if required else {}
    blank: dict[str, Any] = {"load_default": ""} if required else {}
    return {
        "name": name,
        "parent_code": Text(
            allow_none=True,
            validate=[validate.Length(max=32, error=CODE_TOO_LONG), _optional_code],
            metadata={"description": f"Mã định danh của cơ quan cấp trên ({EXAMPLE})."},
            **optional,
        ),
        "level": fields.String(
            allow_none=True,
            validate=validate.OneOf(
                [level.value for level in Level], error="Cấp không nằm trong danh sách."
            ),
            metadata={"description": "central, province, district, commune hoặc unit."},
            **optional,
        ),
        "address": Text(validate=validate.Length(max=500, error="Dài quá 500 ký tự."), **blank),
        "email": Text(
            validate=[
                validate.Length(max=255, error="Dài quá 255 ký tự."),
                _optional_email,
            ],
            **blank,
        ),
        "phone": Text(
            validate=[
                validate.Length(max=64, error="Dài quá 64 ký tự."),
                validate.Regexp(
                    r"^[0-9 +\-.()/,;]*$", error="Số điện thoại chỉ gồm chữ số và + - . ( ) /."
                ),
            ],
            **blank,
        ),
    }


class OrganizationSchema(Schema.from_dict(_details(required=True))):  # type: ignore[misc]
    """An agency of the directory documents are sent to (``internal``: served here)."""

    id = fields.Integer(dump_only=True)
    code = Text(
        required=True,
        validate=[
            validate.Length(min=1, error="Cần nhập mã định danh cơ quan."),
            validate.Length(max=32, error=CODE_TOO_LONG),
            organ_code_rule,
        ],
        error_messages={
            "required": "Cần nhập mã định danh cơ quan.",
            "null": "Cần nhập mã định danh cơ quan.",
        },
        metadata={"description": f"Mã định danh điện tử ({EXAMPLE})."},
    )
    internal = fields.Boolean(load_default=False)
    active = fields.Boolean(dump_only=True)
    level_label = fields.String(dump_only=True)
    updated_at = UtcDateTime(dump_only=True, allow_none=True)


class OrganizationUpdate(Schema.from_dict(_details(required=False))):  # type: ignore[misc]
    """What a change of an agency may send: only the fields to change (not the code)."""

    internal = fields.Boolean()
    active = fields.Boolean()


class DirectoryArgs(Schema):
    """``?q=&page=&per_page=``: ``q`` matches the name or code, with or without diacritics."""

    q = fields.String(load_default="", validate=validate.Length(max=200))
    page = page_field()
    per_page = per_page_field()


class DirectoryPage(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(OrganizationSchema), required=True)


class ImportForm(Schema):
    """A directory file (CSV in UTF-8 with ``,`` or ``;``, or XLSX) and whether to only check."""

    file = UploadedFile(required=True, error_messages={"required": "Cần gửi một tệp."})
    dry_run = fields.Boolean(load_default=False)


class RowChangeSchema(Schema):
    row = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    changed = fields.List(fields.String(), required=True)


class ImportResponse(Schema):
    dry_run = fields.Boolean(required=True)
    created = fields.List(fields.Nested(RowChangeSchema), required=True)
    updated = fields.List(fields.Nested(RowChangeSchema), required=True)
    unchanged = fields.Integer(required=True, metadata={"description": "How many rows match."})
