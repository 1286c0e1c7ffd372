"""Bounds for every number and date a caller sends: path ids, paging, date filters.

A value the database or the calendar cannot hold (an id past 64 bits, ``page=2**63``, the year
1) used to reach SQLite, PostgreSQL or ``datetime`` and come back as a 500. Here is the one
place that says what is acceptable; the URL converter, the API schemas and the web pages use it,
so a bad value is always a 404 (ids) or a 422 (query and form values), never a server error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from edoc.core.clock import MAX_DATE, MIN_DATE
from edoc.core.errors import AppError

MIN_ID = 1
# Ids are INTEGER columns: on PostgreSQL that is 32 bits, and a larger literal is an error
# there, not an empty result. The narrower database sets the bound for both.
MAX_ID = 2**31 - 1
MAX_FORM_INT = MAX_ID  # a number typed in a form is stored in an INTEGER column at most
MAX_PAGE = 100_000  # with per_page ≤ 500 the offset stays far below 2**63
MAX_PER_PAGE = 500


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: only ids a row can have (1..2**31-1), else the route is a 404.

    Registered as the app's ``int`` converter, so no route can forget it.
    """

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", MIN_ID)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_parameter_schema(converter: IdConverter) -> dict[str, Any]:
    """How the OpenAPI document describes an id in a path."""
    return {"type": "integer", "format": "int32", "minimum": MIN_ID, "maximum": MAX_ID}


def page_field(**kwargs: Any) -> fields.Integer:
    return fields.Integer(
        load_default=1,
        validate=validate.Range(1, MAX_PAGE, error="Trang phải là số từ {min} đến {max}."),
        **kwargs,
    )


def per_page_field(default: int = 50, **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        load_default=default,
        validate=validate.Range(
            1, MAX_PER_PAGE, error="Số dòng mỗi trang phải từ {min} đến {max}."
        ),
        **kwargs,
    )


def id_field(**kwargs: Any) -> fields.Integer:
    """An id sent in a body or a query: the same range as in a path."""
    return fields.Integer(
        validate=validate.Range(MIN_ID, MAX_ID, error="Mã số phải từ {min} đến {max}."), **kwargs
    )


class PageArgs(Schema):
    """``?page=`` of the list pages (their other filters are read by the page itself)."""

    page = page_field()


class PageOf(Schema):
    """The frame of one page of a list in the API: subclasses add ``items`` (and any count of
    their own), so every list answers with the same paging fields."""

    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class YearArgs(Schema):
    year = fields.Integer(
        load_default=None,
        validate=validate.Range(MIN_DATE.year, MAX_DATE.year, error="Năm phải từ {min} đến {max}."),
    )


def clamp_page(raw: Any) -> int:
    """A page number as a list page reads it: what is not a page number (``0``, ``-1``,
    ``abc``) is the first page, one past the bound the last the bound allows. A link to page
    999 of a list that shrank since is a person's everyday case, not an error: the pages show
    the nearest page instead of a refusal (the API, read by programs, still refuses)."""
    try:
        page = int(str(raw).strip())
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), MAX_PAGE)


def with_clamped_page(args: Mapping[str, Any]) -> MultiDict[str, Any]:
    """The query string of a list page with its ``page`` clamped (see :func:`clamp_page`)."""
    clamped = MultiDict(args)
    if "page" in clamped:
        clamped["page"] = str(clamp_page(clamped.get("page")))
    return clamped


def last_page_if_past(page: int, total: int, per_page: int) -> int:
    """``page``, or the last page when ``page`` is past it (an empty list has one page)."""
    return min(page, max(1, -(-total // per_page)))


def load_query(schema: Schema, args: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the query values a web page reads; a bad one is a 422 naming the field."""
    known = {name: args[name] for name in schema.fields if args.get(name) not in (None, "")}
    try:
        return schema.load(known)
    except ValidationError as error:
        reasons = "; ".join(
            f"{name}: {' '.join(map(str, messages))}"
            for name, messages in sorted(error.normalized_messages().items())
        )
        raise AppError(
            "validation_error", _("Tham số không hợp lệ (%(reasons)s)", reasons=reasons), 422
        ) from None
