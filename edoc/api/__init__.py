"""``/api/v1``: flask-smorest for request validation and the generated OpenAPI document.

Errors from every endpoint use one envelope, ``{"error": {"code", "message"}}``, rendered by
:mod:`edoc.core.errors`; flask-smorest's own error handler is therefore not installed, and the
document declares that envelope (:class:`ErrorSchema`) as every operation's error body.

Areas build their endpoints with :class:`Blueprint`, which adds the ``multipart`` argument
location: form fields and files read together, documented as one ``multipart/form-data``
request body (OpenAPI 3 has no ``formData`` parameters).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from http import HTTPStatus
from types import UnionType
from typing import Any, NoReturn, TypeVar

import flask_smorest
from flask import Flask, current_app, request
from flask_smorest import Api
from marshmallow import Schema, ValidationError, fields
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from edoc.core.auth import require_api_roles
from edoc.core.clock import MAX_DATE, MIN_DATE
from edoc.core.extensions import csrf
from edoc.core.params import IdConverter, id_parameter_schema


class ErrorBody(Schema):
    code = fields.String(required=True, metadata={"description": "stable machine code"})
    message = fields.String(required=True, metadata={"description": "Vietnamese, for people"})
    details = fields.Raw(metadata={"description": "per-field messages of a validation error"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBody, required=True)


class UtcDateTime(fields.AwareDateTime):
    """An instant with its offset (OpenAPI ``date-time``); the database keeps naive UTC.

    Sent out as ``…+00:00``; read in only with an offset (a bare local time is ambiguous) and
    within the years the app accepts, then turned into naive UTC for the database.
    """

    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not MIN_DATE.year <= moment.year <= MAX_DATE.year:
            raise ValidationError("Thời điểm phải trong khoảng năm 1900 – 2999.")
        return moment.astimezone(UTC).replace(tzinfo=None)


class SignatureReportSchema(Schema):
    """What the signature check found (see signing.validation.ValidationReport.to_dict)."""

    verdict = fields.String(
        required=True,
        metadata={"description": "ok, invalid, no_signatures, not_checked or no_file"},
    )
    validated_at = fields.String()
    signatures = fields.List(fields.Dict(keys=fields.String()))


_FIELDS: dict[type, type[fields.Field]] = {
    int: fields.Integer,
    str: fields.String,
    bool: fields.Boolean,
    date: fields.Date,
    datetime: UtcDateTime,
}


def response_schema(name: str, /, **attributes: type | UnionType | fields.Field) -> type[Schema]:
    """A schema for what an endpoint answers, one keyword per attribute of the object sent out.

    ``id=int``, ``subject=str``, ``deadline=date``, ``created_at=datetime`` (sent with its
    offset), ``unit_id=int | None`` (may be null); any other marshmallow field as it is.
    ``name`` ends in ``Schema``: the OpenAPI document calls it by the rest (``UnitSchema`` is
    ``Unit``).
    """

    def field(kind: type | UnionType | fields.Field) -> fields.Field:
        if isinstance(kind, fields.Field):
            return kind
        if isinstance(kind, UnionType):
            [present] = [part for part in kind.__args__ if part is not type(None)]
            return _FIELDS[present](allow_none=True)
        return _FIELDS[kind]()

    return Schema.from_dict({key: field(kind) for key, kind in attributes.items()}, name=name)


F = TypeVar("F", bound=Callable[..., Any])


def refusals(
    blueprint: flask_smorest.Blueprint, *answers: int | tuple[int, str]
) -> Callable[[F], F]:
    """``@refusals(blp, 401, (409, "The document is not issued."))``: the error answers an
    operation gives, each with the one error body (:class:`ErrorSchema`), so the OpenAPI
    document lists them. A bare status uses the shared description of that status; a pair says
    what the status means for this operation. A 422 is declared by ``@blp.arguments`` already.
    """

    def declare(view: F) -> F:
        for answer in answers:
            if isinstance(answer, tuple):
                status, description = answer
                view = blueprint.alt_response(status, schema=ErrorSchema, description=description)(
                    view
                )
            else:
                view = blueprint.alt_response(answer, response=HTTPStatus(answer).name)(view)
        return view

    return declare


BINARY = {"type": "string", "format": "binary"}
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"


def file_responses() -> dict[str, Any]:
    """The content types a stored file is served with (drafts may be DOCX)."""
    return {
        "content": {kind: {"schema": BINARY} for kind in (PDF, DOCX, "image/jpeg", "image/png")}
    }


class EdocParser(FlaskParser):
    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req: Any, schema: Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)

    def handle_error(self, error: ValidationError, *args: Any, **kwargs: Any) -> NoReturn:
        # Clients read multipart field errors under "form", as before the two were merged.
        if isinstance(error.messages, dict) and "multipart" in error.messages:
            error.messages = {"form": error.messages.pop("multipart"), **error.messages}
        super().handle_error(error, *args, **kwargs)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = EdocParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }


class EdocApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:  # our envelope, see edoc.core.errors
        pass


api = EdocApi()
api.register_converter(IdConverter, id_parameter_schema)

BEARER_SCHEME = {"type": "http", "scheme": "bearer"}


def authenticate_before_input() -> None:
    """Settle who calls, and with which role, before the request's input is read.

    An anonymous or unauthorised caller learns nothing from validation messages (which fields
    exist, which values pass) and cannot make the server parse a body it will refuse anyway:
    401/403 come first, 422 only for callers allowed to use the endpoint.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return
    method_name = "get" if request.method == "HEAD" else request.method.lower()
    roles = getattr(getattr(view_class, method_name, None), "api_roles", None)
    if roles is not None:
        require_api_roles(*roles)


def init_api(app: Flask) -> None:
    api.init_app(app, spec_kwargs={"servers": [{"url": "/"}]})
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.spec.options["security"] = [{"bearerAuth": []}]
    app.before_request(authenticate_before_input)


def register_api_blueprint(blueprint: flask_smorest.Blueprint) -> None:
    # Bearer-token calls carry no cookie, so no CSRF risk; session-cookie calls are checked
    # explicitly in edoc.core.auth.api_user.
    csrf.exempt(blueprint)
    api.register_blueprint(blueprint)
