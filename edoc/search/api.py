"""``/api/v1/search``: the same service and the same schemas as the search page."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from edoc.api import Blueprint, ErrorSchema, refusals
from edoc.core.auth import api_roles, api_user
from edoc.search import services
from edoc.search.schemas import (
    NumberArgs,
    NumberSchema,
    SearchArgs,
    SearchResponse,
    SearchStatusSchema,
)
from edoc.search.services import SearchParams
from edoc.users.models import Role

blp = Blueprint("search_api", __name__, url_prefix="/api/v1", description="Tìm kiếm văn bản")


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(SearchArgs, location="query")
    @blp.response(200, SearchResponse)
    @blp.alt_response(
        422, schema=ErrorSchema, description="invalid_date, invalid_paging or invalid_sort."
    )
    @refusals(blp, 401)
    @api_roles()
    def get(self, params: SearchParams) -> Any:
        """Full-text search; secrecy is applied inside the engine's query.

        ``degraded`` is true when the engine is down and the answer comes from a plain scan of
        subjects and numbers (no facets, no highlights).
        """
        return services.search_documents(api_user(), params)


@blp.route("/search/numbers")
class NumberSuggestions(MethodView):
    @blp.arguments(NumberArgs, location="query", as_kwargs=True)
    @blp.response(200, NumberSchema(many=True))
    @blp.alt_response(422, schema=ErrorSchema, description="No prefix, or a limit out of 1..20.")
    @refusals(blp, 401)
    @api_roles()
    def get(self, prefix: str, limit: int) -> Any:
        """Search-as-you-type on "số ký hiệu"."""
        return services.suggest_numbers(api_user(), prefix[:100], limit)


@blp.route("/search/status")
class SearchStatus(MethodView):
    @blp.response(200, SearchStatusSchema)
    @blp.alt_response(
        403, schema=ErrorSchema, description="Only administrators see the index's state."
    )
    @refusals(blp, 401, 403)
    @api_roles(Role.ADMIN)
    def get(self) -> Any:
        """Whether the index answers and how many changes wait to be indexed."""
        return services.status_report()
