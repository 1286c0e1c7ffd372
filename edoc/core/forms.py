"""Web forms go through the same marshmallow schemas as ``/api/v1``.

Each area's ``schemas.py`` says what an action accepts, once. The API loads the JSON or
multipart body with it (flask-smorest ``@blp.arguments``); the page loads ``request.form`` with
:func:`load_form`, which gives the same values and the same refusals, the messages in
Vietnamese next to each field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, fields, missing, validate
from marshmallow import ValidationError as SchemaError
from werkzeug.datastructures import FileStorage

from edoc.core.clock import parse_user_date
from edoc.core.errors import ValidationError
from edoc.core.organ_codes import EXAMPLE, is_organ_code


class FormInvalid(ValidationError):
    """A form that does not pass its schema: ``fields`` maps each field to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid_form", _("Biểu mẫu có trường không hợp lệ."), details=fields)
        self.fields = fields


class Text(fields.String):
    """Text typed by a person: surrounding spaces dropped, so blank counts as empty."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


def text(
    required: str | None = None,
    max_length: int | None = None,
    too_long: str = "",
    also: Sequence[Callable[[str], None]] = (),
) -> Text:
    """A text field; ``required`` is the message for a missing or blank value, ``too_long``
    the one for a value longer than ``max_length``; ``also`` the value's own rules, checked
    after those."""
    rules: list[Callable[[str], Any]] = []
    if max_length is not None:
        rules.append(validate.Length(max=max_length, error=too_long or "Dài quá {max} ký tự."))
    rules.extend(also)
    if required is None:
        return Text(load_default="", validate=rules)
    return Text(
        required=True,
        validate=[validate.Length(min=1, error=required), *rules],
        error_messages={"required": required, "null": required},
    )


def organ_code_rule(value: str) -> None:
    """Refuse a value that is not one organ code. An empty one or one longer than the 32
    characters of the code columns is left to the field's other rules, so that it gets one
    message, not two."""
    if value and len(value) <= 32 and not is_organ_code(value):
        raise SchemaError(f"Mã định danh phải có dạng {EXAMPLE} (chữ cái viết hoa).")


class UploadedFile(Upload):
    """A file part of a multipart body. A file input left empty (no name) counts as not sent;
    a plain text value where a file is expected is refused."""

    default_error_messages = {"invalid": "Cần gửi một tệp."}

    def deserialize(
        self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any
    ) -> Any:
        if isinstance(value, FileStorage) and not value.filename:
            value = missing
        return super().deserialize(value, attr, data, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


class UserDate(fields.Date):
    """A date as people type it (dd/mm/yyyy) or as date inputs and the API send it (ISO)."""

    default_error_messages = {"invalid": "Ngày không hợp lệ (dd/mm/yyyy)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, str):
            parsed = parse_user_date(value)
            if parsed is None:
                raise self.make_error("invalid")
            return parsed
        return super()._deserialize(value, attr, data, **kwargs)


_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (r"^Missing data for required field\.$", "Trường này là bắt buộc."),
        (r"^Field may not be null\.$", "Trường này là bắt buộc."),
        (r"^Not a valid integer\.$", "Phải là một số nguyên."),
        (r"^Not a valid number\.$", "Phải là một số."),
        (r"^Not a valid date\.$", "Ngày không hợp lệ (dd/mm/yyyy)."),
        (r"^Not a valid (string|boolean|datetime)\.$", "Giá trị không hợp lệ."),
        (r"^Shorter than minimum length 1\.$", "Trường này là bắt buộc."),
        (r"^Longer than maximum length (\d+)\.$", "Dài quá {0} ký tự."),
        (r"^Must be one of: .*\.$", "Giá trị không nằm trong danh sách cho phép."),
        (
            r"^Must be greater than or equal to (.+) and less than or equal to (.+)\.$",
            "Phải từ {0} đến {1}.",
        ),
        (r"^Length must be between (\d+) and (\d+)\.$", "Độ dài phải từ {0} đến {1} ký tự."),
        (r"^Unknown field\.$", "Trường không được nhận."),
    )
)


def vietnamese(message: str) -> str:
    """marshmallow's built-in English messages, said in Vietnamese; ours pass through."""
    for pattern, text in _MESSAGES:
        match = pattern.match(message)
        if match:
            return _(text).format(*match.groups())
    return message


def _first_messages(errors: Mapping[str, Any]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for field, messages in errors.items():
        while isinstance(messages, list | dict):
            messages = next(iter(messages.values() if isinstance(messages, dict) else messages))
        flat[field] = vietnamese(str(messages))
    return flat


def load_form(schema: Schema, form: Any, *, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """``request.form`` loaded through ``schema``: empty inputs count as not sent, the fields
    named in ``lists`` keep every value, unknown inputs (``csrf_token``, buttons) are ignored.

    Raises :class:`FormInvalid` with one Vietnamese message per field.
    """
    data: dict[str, Any] = {}
    for key in form:
        if key in lists:
            data[key] = [value for value in form.getlist(key) if value != ""]
        elif (value := form.get(key, "")) != "":
            data[key] = value
    try:
        return schema.load(data, unknown=EXCLUDE)
    except SchemaError as error:
        raise FormInvalid(_first_messages(error.normalized_messages())) from error
