"""What a search accepts and answers, for the search page and ``/api/v1/search`` alike.

A wrong value is the caller's mistake and gets a precise 422 (``invalid_date``,
``invalid_paging``, ``invalid_sort``) whether it came from the page's query string or the API.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from edoc.api import UtcDateTime
from edoc.core.errors import AppError
from edoc.core.forms import UserDate
from edoc.search.services import SearchParams
from search import KEYWORD_FILTERS
from search.base import MAX_PAGE, MAX_PER_PAGE


class SearchArgs(Schema):
    """Filters may repeat (``doc_type=Quyết định&doc_type=Công văn``); dates dd/mm/yyyy or ISO."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="")
    direction = fields.List(fields.String(), load_default=list)
    doc_type = fields.List(fields.String(), load_default=list)
    sender = fields.List(fields.String(), load_default=list)
    signer = fields.List(fields.String(), load_default=list)
    unit = fields.List(fields.String(), load_default=list)
    urgency = fields.List(fields.String(), load_default=list)
    status = fields.List(fields.String(), load_default=list)
    dossier = fields.List(fields.String(), load_default=list)
    date_from = UserDate(data_key="from", load_default=None)
    date_to = UserDate(data_key="to", load_default=None)
    sort = fields.String(load_default="relevance", validate=validate.OneOf(["relevance", "date"]))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PER_PAGE))

    @post_load
    def _params(self, data: dict[str, Any], **_kwargs: Any) -> SearchParams:
        return SearchParams(
            q=data["q"][:500],
            filters={k: [v for v in data[k] if v] for k in KEYWORD_FILTERS if data.get(k)},
            date_from=data["date_from"],
            date_to=data["date_to"],
            sort=data["sort"],
            page=data["page"],
            per_page=data["per_page"],
        )

    def handle_error(self, error: ValidationError, data: Any, **_kwargs: Any) -> None:
        """The first wrong value as one precise refusal (the codes clients already read)."""
        messages = error.normalized_messages()
        for name in ("from", "to"):
            if name in messages:
                raw = str(data.get(name, ""))
                raise AppError(
                    "invalid_date", _("Ngày không hợp lệ (dd/mm/yyyy): %(value)s", value=raw), 422
                )
        for name, top in (("page", MAX_PAGE), ("per_page", MAX_PER_PAGE)):
            if name in messages:
                raise AppError(
                    "invalid_paging",
                    _("%(name)s phải là số từ 1 đến %(top)s.", name=name, top=top),
                    422,
                )
        if "sort" in messages:
            raw = str(data.get("sort", ""))
            raise AppError(
                "invalid_sort", _("Cách sắp xếp không hợp lệ: %(value)s", value=raw), 422
            )
        raise error


#: The query-string fields that repeat (read with ``getlist``).
LIST_ARGS = KEYWORD_FILTERS


class NumberArgs(Schema):
    prefix = fields.String(required=True)
    limit = fields.Integer(load_default=8, validate=validate.Range(1, 20))


class ResultSchema(Schema):
    id = fields.Integer(attribute="document.id")
    direction = fields.String(attribute="document.direction")
    status = fields.String(attribute="document.status")
    number_notation = fields.String(attribute="document.number_notation")
    subject = fields.String(attribute="document.subject")
    doc_type = fields.String(attribute="document.doc_type_code")
    issued_date = fields.Date(attribute="document.issued_date", allow_none=True)
    sender = fields.String(attribute="document.issuer_org")
    secrecy = fields.Integer(attribute="document.secrecy")
    highlight = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "matched passages by field, terms marked"},
    )
    score = fields.Float(metadata={"description": "relevance; 0 in a degraded answer"})


class SearchResponse(Schema):
    total = fields.Integer()
    total_exact = fields.Boolean()
    facets_exact = fields.Boolean()
    page = fields.Integer(attribute="params.page")
    per_page = fields.Integer(attribute="params.per_page")
    degraded = fields.Boolean()
    results = fields.List(fields.Nested(ResultSchema), attribute="rows")
    facets = fields.Dict(keys=fields.String(), values=fields.Dict())


class NumberSchema(Schema):
    id = fields.String()
    number_notation = fields.String()
    subject = fields.String()


class SearchStatusSchema(Schema):
    backend = fields.String(required=True)
    ok = fields.Boolean(required=True)
    documents = fields.Integer(allow_none=True)
    waiting = fields.Integer(required=True)
    oldest_waiting = UtcDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
