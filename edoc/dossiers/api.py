"""``/api/v1/dossiers``: a dossier, reopening a closed one, and the transfer schedule.

The same services as the pages (``dossiers.services``); archivists change dossiers, and the
schedule is theirs too. Documents inside a dossier are listed by the page and the packages.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from edoc.api import Blueprint, UtcDateTime, refusals
from edoc.core.auth import Role, api_roles, api_user
from edoc.dossiers import services
from edoc.dossiers.models import Dossier
from edoc.dossiers.schemas import Reopen

blp = Blueprint("dossiers_api", __name__, url_prefix="/api/v1/dossiers", description="Hồ sơ")

S = HTTPStatus


class DossierSchema(Schema):
    id = fields.Integer(required=True)
    year = fields.Integer(required=True)
    code = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(
        required=True, metadata={"description": "open, closed, transferred or disposed"}
    )
    status_label = fields.Function(lambda d: d.status_value.label, required=True)
    retention_years = fields.Integer(
        allow_none=True, metadata={"description": "null: kept permanently"}
    )
    closed_at = UtcDateTime(allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    legal_hold = fields.Boolean(required=True)


class TransferDueSchema(Schema):
    dossier = fields.Nested(DossierSchema, required=True)
    closed_on = fields.Date(required=True)
    deadline = fields.Date(required=True, metadata={"description": "transfer by this day"})
    overdue = fields.Boolean(required=True)
    due_soon = fields.Boolean(required=True)


@blp.route("/<int:dossier_id>")
class DossierItem(MethodView):
    @blp.response(200, DossierSchema)
    @refusals(blp, S.UNAUTHORIZED, S.NOT_FOUND)
    @api_roles()
    def get(self, dossier_id: int) -> Dossier:
        """One dossier of the list (its documents are not listed here)."""
        return services.get(dossier_id)


@blp.route("/<int:dossier_id>/reopen")
class ReopenDossier(MethodView):
    @blp.arguments(Reopen)
    @blp.response(200, DossierSchema)
    @refusals(
        blp,
        S.UNAUTHORIZED,
        S.FORBIDDEN,
        S.NOT_FOUND,
        (409, "Only a closed dossier, not yet transferred, can be reopened."),
    )
    @api_roles(Role.ARCHIVIST)
    def post(self, args: dict[str, Any], dossier_id: int) -> Dossier:
        """Open a closed dossier again; the reason is required and kept in the audit log."""
        return services.reopen(dossier_id, args["reason"], api_user())


@blp.route("/transfer-due")
class TransferDue(MethodView):
    @blp.response(200, TransferDueSchema(many=True))
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN)
    @api_roles(Role.ARCHIVIST)
    def get(self) -> list[services.TransferDue]:
        """Closed dossiers overdue for transfer to the archive or due within 90 days."""
        return services.due_for_transfer()
