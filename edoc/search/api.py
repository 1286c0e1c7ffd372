"""``/api/v1/search``: the same service as the search page."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from marshmallow import EXCLUDE, Schema, fields, validate

from edoc.api import Blueprint, UtcDateTime
from edoc.core.auth import api_roles, api_user
from edoc.search import services
from edoc.users.models import Role
from search.base import MAX_PAGE, MAX_PER_PAGE

blp = Blueprint("search_api", __name__, url_prefix="/api/v1", description="Tìm kiếm văn bản")


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
    date_from = fields.String(data_key="from", load_default="")
    date_to = fields.String(data_key="to", load_default="")
    sort = fields.String(load_default="relevance")
    # Read as text and checked by services.parse_params (its precise ``invalid_paging``).
    page = fields.String(
        load_default="1",
        metadata={"type": "integer", "default": 1, "minimum": 1, "maximum": MAX_PAGE},
    )
    per_page = fields.String(
        load_default="20",
        metadata={"type": "integer", "default": 20, "minimum": 1, "maximum": MAX_PER_PAGE},
    )


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
    highlight = fields.Dict(keys=fields.String(), values=fields.String())
    score = fields.Float()


class SearchResponse(Schema):
    total = fields.Integer()
    total_exact = fields.Boolean()
    facets_exact = fields.Boolean()
    page = fields.Integer(attribute="params.page")
    per_page = fields.Integer(attribute="params.per_page")
    degraded = fields.Boolean()
    results = fields.List(fields.Nested(ResultSchema), attribute="rows")
    facets = fields.Dict(keys=fields.String(), values=fields.Dict())


class NumberArgs(Schema):
    prefix = fields.String(required=True)
    limit = fields.Integer(load_default=8, validate=validate.Range(1, 20))


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


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(SearchArgs, location="query", as_kwargs=True)
    @blp.response(200, SearchResponse)
    @api_roles()
    def get(self, **_documented: Any) -> Any:
        """Full-text search; secrecy is applied inside the engine's query.

        ``degraded`` is true when the engine is down and the answer comes from a plain scan of
        subjects and numbers (no facets, no highlights).
        """
        return services.search_documents(api_user(), services.parse_params(request.args))


@blp.route("/search/numbers")
class NumberSuggestions(MethodView):
    @blp.arguments(NumberArgs, location="query", as_kwargs=True)
    @blp.response(200, NumberSchema(many=True))
    @api_roles()
    def get(self, prefix: str, limit: int) -> Any:
        """Search-as-you-type on "số ký hiệu"."""
        return services.suggest_numbers(api_user(), prefix[:100], limit)


@blp.route("/search/status")
class SearchStatus(MethodView):
    @blp.response(200, SearchStatusSchema)
    @api_roles(Role.ADMIN)
    def get(self) -> Any:
        """Whether the index answers and how many changes wait to be indexed."""
        return services.status_report()
