"""``/api/v1/documents/<id>/messages``: the discussion thread, polled with ``?after=<id>``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask.views import MethodView

from edoc.api import Blueprint, refusals
from edoc.core.auth import api_roles
from edoc.discussion import services
from edoc.discussion.schemas import (
    MessageArgs,
    MessageCreate,
    MessageList,
    MessageSchema,
    PersonArgs,
    PersonSchema,
)
from edoc.discussion.views import as_item
from edoc.users.current import caller
from edoc.users.models import User

blp = Blueprint(
    "discussion_api",
    __name__,
    url_prefix="/api/v1",
    description="Trao đổi về văn bản",
)

S = HTTPStatus


@blp.route("/documents/<int:document_id>/messages")
class Messages(MethodView):
    @blp.arguments(MessageArgs, location="query")
    @blp.response(200, MessageList)
    @refusals(blp, S.UNAUTHORIZED, S.NOT_FOUND)
    @api_roles()
    def get(self, args: dict[str, Any], document_id: int) -> dict[str, Any]:
        """The thread's messages after ``after`` (oldest first); poll with the last id."""
        items = services.messages(document_id, caller(), after=args["after"])
        return {
            "items": [as_item(m) for m in items],
            "last_id": items[-1].id if items else args["after"],
        }

    @blp.arguments(MessageCreate)
    @blp.response(201, MessageSchema)
    @refusals(blp, S.UNAUTHORIZED, S.NOT_FOUND)
    @api_roles()
    def post(self, args: dict[str, Any], document_id: int) -> dict[str, Any]:
        """Post a message; each ``@login`` named is told (and must be able to see the
        document, else 422)."""
        return as_item(services.post_message(document_id, caller(), args["body"]))


@blp.route("/documents/<int:document_id>/mentionable")
class Mentionable(MethodView):
    @blp.arguments(PersonArgs, location="query")
    @blp.response(200, PersonSchema(many=True))
    @refusals(blp, S.UNAUTHORIZED, S.NOT_FOUND)
    @api_roles()
    def get(self, args: dict[str, Any], document_id: int) -> list[User]:
        """People a message on this document may name: active, and able to see it."""
        return services.mentionable(document_id, caller(), args["q"])
