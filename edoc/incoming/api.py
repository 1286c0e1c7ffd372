"""``/api/v1/incoming`` and ``/api/v1/documents``: the same services and schemas as the pages."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Response
from flask.views import MethodView

from edoc.api import (
    BINARY,
    PDF,
    XLSX,
    Blueprint,
    SignatureReportSchema,
    file_responses,
    refusals,
)
from edoc.core.auth import api_roles, api_user
from edoc.documents.access import document_file_for, get_visible_document
from edoc.documents.views_common import file_response
from edoc.incoming import intake, reports, services, slip
from edoc.incoming.actions import DOCUMENT_ACTIONS, DocumentAction
from edoc.incoming.models import IncomingDocument
from edoc.incoming.schemas import (
    AnalyseSchema,
    AnalyseUpload,
    DocumentSchema,
    IncomingListArgs,
    IncomingPage,
    IncomingSchema,
    ProgressArgs,
    ReceiveUpload,
    RegisterReportArgs,
    TaskSchema,
)
from edoc.users.models import Role

blp = Blueprint("incoming_api", __name__, url_prefix="/api/v1", description="Văn bản đến")

S = HTTPStatus
# Answers of every action on one held or registered document.
ON_A_DOCUMENT = (S.UNAUTHORIZED, S.FORBIDDEN, S.NOT_FOUND, S.CONFLICT)


@blp.route("/incoming")
class IncomingCollection(MethodView):
    @blp.arguments(IncomingListArgs, location="query")
    @blp.response(200, IncomingPage)
    @refusals(blp, S.UNAUTHORIZED)
    @api_roles()
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Incoming documents visible to the caller, newest first."""
        flt = services.IncomingFilter(**args)
        total, items = services.list_incoming(api_user(), flt)
        return {"total": total, "page": flt.page, "per_page": flt.per_page, "items": items}

    @blp.arguments(ReceiveUpload, location="multipart")
    @blp.response(201, IncomingSchema)
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN, S.REQUEST_ENTITY_TOO_LARGE, S.SERVICE_UNAVAILABLE)
    @api_roles(Role.CLERK)
    def post(self, form: dict[str, Any]) -> IncomingDocument:
        """Receive a document: multipart ``file`` (one signed PDF, or scan pages) plus fields.

        An electronic document whose signatures do not all validate is held with status
        ``received`` and no arrival number, for the clerk to return or register.
        """
        files, attachments = form.pop("file"), form.pop("attachments")
        return intake.receive(api_user(), form, files, attachments)


@blp.route("/incoming/analyse")
class AnalyseIncoming(MethodView):
    @blp.arguments(AnalyseUpload, location="multipart")
    @blp.response(200, AnalyseSchema)
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN, S.REQUEST_ENTITY_TOO_LARGE, S.SERVICE_UNAVAILABLE)
    @api_roles(Role.CLERK)
    def post(self, form: dict[str, Any]) -> dict[str, Any]:
        """Check and store a file; return what was read from it and an ``upload_token``.

        Send the token back as ``upload_token`` with ``POST /incoming`` instead of the file.
        """
        return intake.analyse(api_user(), form["received_via"], form["file"])


SUMMARIES = {
    "register": "Give a held document its arrival number.",
    "return": "Return a held document to its sender with a reason.",
    "present": "Present a registered document to a leader.",
    "route": "The leader's direction: lead unit or person, cooperating units, deadline.",
}


def _document_endpoint(action: DocumentAction) -> None:
    """``POST /incoming/<id>/<name>``: the action on the body, answered with the document as
    it now is (its page's twin is in ``views``)."""

    class Action(MethodView):
        @blp.arguments(action.schema)
        @blp.response(200, IncomingSchema)
        @refusals(blp, *ON_A_DOCUMENT)
        @api_roles(action.role)
        def post(self, args: dict[str, Any], document_id: int) -> IncomingDocument:
            action.service(document_id, actor=api_user(), **args)
            return services.get_incoming(document_id, api_user())

    Action.post.__doc__ = SUMMARIES[action.name]
    Action.__name__ = Action.__qualname__ = f"{action.name.capitalize()}Incoming"
    blp.route(f"/incoming/<int:document_id>/{action.name}")(Action)


for _action in DOCUMENT_ACTIONS:
    _document_endpoint(_action)


@blp.route("/tasks")
class Tasks(MethodView):
    @blp.response(200, TaskSchema(many=True))
    @refusals(blp, S.UNAUTHORIZED)
    @api_roles()
    def get(self) -> Any:
        """Handling tasks assigned to the caller or the caller's unit."""
        return services.tasks_for(api_user())


@blp.route("/tasks/<int:task_id>/progress")
class TaskProgress(MethodView):
    @blp.arguments(ProgressArgs)
    @blp.response(200, TaskSchema)
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN, S.NOT_FOUND, S.CONFLICT)
    @api_roles()
    def post(self, args: dict[str, Any], task_id: int) -> Any:
        """Record progress on a task; ``done`` completes it."""
        return services.report_progress(task_id, api_user(), **args)


@blp.route("/incoming/register")
class IncomingRegisterReport(MethodView):
    @blp.arguments(RegisterReportArgs, location="query")
    @blp.response(
        200,
        BINARY,
        content_type=PDF,
        description="The register as PDF (``format=pdf``) or XLSX (``format=xlsx``).",
    )
    @blp.doc(responses={200: {"content": {XLSX: {"schema": BINARY}}}})
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN, S.NOT_FOUND)
    @api_roles(Role.CLERK, Role.LEADER, Role.ARCHIVIST)
    def get(self, args: dict[str, Any]) -> Response:
        """The incoming register for a date range, as PDF or XLSX."""
        return reports.register_response(api_user(), **args)


@blp.route("/incoming/<int:document_id>/slip")
class IncomingSlip(MethodView):
    @blp.response(200, BINARY, content_type=PDF, description="The processing slip as PDF.")
    @refusals(blp, S.UNAUTHORIZED, S.NOT_FOUND)
    @api_roles()
    def get(self, document_id: int) -> Response:
        """The processing slip (phiếu xử lý) of a document the caller may see, as PDF."""
        return slip.slip_response(document_id, api_user())


@blp.route("/documents/<int:document_id>")
class DocumentItem(MethodView):
    @blp.response(200, DocumentSchema)
    @refusals(blp, S.UNAUTHORIZED, S.NOT_FOUND)
    @api_roles()
    def get(self, document_id: int) -> Any:
        """A document the caller is cleared to see (404 otherwise)."""
        return get_visible_document(document_id, api_user())


@blp.route("/documents/<int:document_id>/file")
class DocumentFileDownload(MethodView):
    @blp.response(200, BINARY, content_type=PDF, description="The main file as stored.")
    @blp.doc(responses={200: file_responses()})
    @refusals(blp, S.UNAUTHORIZED, S.NOT_FOUND, S.SERVICE_UNAVAILABLE)
    @api_roles()
    def get(self, document_id: int) -> Response:
        """The document's main file, byte for byte as stored (integrity checked on read)."""
        return file_response(document_file_for(api_user(), document_id))


@blp.route("/documents/<int:document_id>/signatures")
class DocumentSignatures(MethodView):
    @blp.response(200, SignatureReportSchema)
    @refusals(blp, S.UNAUTHORIZED, S.NOT_FOUND)
    @api_roles()
    def get(self, document_id: int) -> dict[str, Any]:
        """The signature validation report of the document's main file."""
        document = get_visible_document(document_id, api_user())
        main = document.main_file
        return (main.signature_report if main else None) or {"verdict": "no_file", "signatures": []}
