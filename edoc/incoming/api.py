"""``/api/v1/incoming`` and ``/api/v1/documents``: the same services as the web pages."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from edoc.api import (
    BINARY,
    PDF,
    XLSX,
    Blueprint,
    SignatureReportSchema,
    UtcDateTime,
    file_responses,
)
from edoc.core.auth import api_roles, api_user
from edoc.core.params import bounded_date, id_field, page_field, per_page_field
from edoc.documents.access import get_visible_document
from edoc.documents.views_common import file_response
from edoc.incoming import intake, reports, services
from edoc.incoming.models import IncomingDocument, ReceivedVia
from edoc.users.models import Role

blp = Blueprint("incoming_api", __name__, url_prefix="/api/v1", description="Văn bản đến")


class IncomingForm(Schema):
    sender_org = fields.String(required=True, validate=validate.Length(min=1, max=255))
    number_notation = fields.String(load_default="", validate=validate.Length(max=128))
    issued_date = bounded_date(load_default=None)
    doc_type = fields.String(required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1))
    signer_name = fields.String(load_default="")
    urgency = fields.Integer(load_default=0, validate=validate.Range(0, 3))
    secrecy = fields.Integer(load_default=0, validate=validate.Range(0, 3))
    page_count = fields.Integer(load_default=None, validate=validate.Range(1, 100_000))
    received_via = fields.String(
        required=True, validate=validate.OneOf([v.value for v in ReceivedVia])
    )
    received_at = UtcDateTime(load_default=None)
    recipient = fields.String(load_default="")
    note = fields.String(load_default="")
    upload_token = fields.String(load_default="", load_only=True)


class IncomingUpload(IncomingForm):
    """One multipart body: the fields above plus the files."""

    file = fields.List(Upload(), load_default=list)
    attachments = fields.List(Upload(), load_default=list)


class AnalyseUpload(Schema):
    received_via = fields.String(
        required=True, validate=validate.OneOf([v.value for v in ReceivedVia])
    )
    file = fields.List(Upload(), load_default=list)


class AnalyseSchema(Schema):
    upload_token = fields.String(required=True)
    filename = fields.String()
    page_count = fields.Integer(allow_none=True)
    prefill = fields.Dict(keys=fields.String())
    signature_report = fields.Nested(SignatureReportSchema, allow_none=True)


class FileSchema(Schema):
    id = fields.Integer()
    role = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class DocumentSchema(Schema):
    id = fields.Integer()
    direction = fields.String()
    status = fields.String()
    number_notation = fields.String()
    doc_type = fields.String(attribute="doc_type_code")
    subject = fields.String()
    issued_date = fields.Date(allow_none=True)
    sender_org = fields.String(attribute="issuer_org")
    signer_name = fields.String()
    urgency = fields.Integer()
    secrecy = fields.Integer()
    page_count = fields.Integer(allow_none=True)
    files = fields.List(fields.Nested(FileSchema))
    signature_verdict = fields.Method("_verdict")

    def _verdict(self, document: Any) -> str | None:
        main = document.main_file
        return (main.signature_report or {}).get("verdict") if main else None


class IncomingSchema(Schema):
    id = fields.Integer(attribute="document_id")
    arrival_number = fields.Integer(allow_none=True)
    arrival_year = fields.Integer(allow_none=True)
    register = fields.String(attribute="register.code")
    received_at = UtcDateTime()
    received_via = fields.String()
    recipient = fields.String()
    return_reason = fields.String()
    deadline = fields.Date(allow_none=True)
    presented_to = fields.String(attribute="presented_to.username", allow_none=True)
    document = fields.Nested(DocumentSchema)
    status = fields.String(attribute="document.status")
    number_notation = fields.String(attribute="document.number_notation")
    subject = fields.String(attribute="document.subject")


class IncomingListArgs(Schema):
    status = fields.String(load_default=None)
    date_from = bounded_date(data_key="from", load_default=None)
    date_to = bounded_date(data_key="to", load_default=None)
    q = fields.String(load_default="")
    page = page_field()
    per_page = per_page_field()


class IncomingPage(Schema):
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    items = fields.List(fields.Nested(IncomingSchema))


class RegisterArgs(Schema):
    override_reason = fields.String(load_default="")


class ReturnArgs(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1))


class PresentArgs(Schema):
    leader_id = id_field(required=True)


class RouteArgs(Schema):
    direction = fields.String(required=True)
    lead_unit_id = id_field(load_default=None)
    lead_user_id = id_field(load_default=None)
    cooperating_unit_ids = fields.List(id_field(), load_default=list)
    deadline = bounded_date(load_default=None)


class ProgressArgs(Schema):
    text = fields.String(required=True)
    done = fields.Boolean(load_default=False)


class TaskSchema(Schema):
    id = fields.Integer()
    document_id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    unit_id = fields.Integer(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    deadline = fields.Date(attribute="routing.deadline", allow_none=True)
    direction = fields.String(attribute="routing.direction_text")


class RegisterReportArgs(Schema):
    date_from = bounded_date(data_key="from", required=True)
    date_to = bounded_date(data_key="to", required=True)
    format = fields.String(load_default="pdf", validate=validate.OneOf(["pdf", "xlsx"]))


@blp.route("/incoming")
class IncomingCollection(MethodView):
    @blp.arguments(IncomingListArgs, location="query")
    @blp.response(200, IncomingPage)
    @api_roles()
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Incoming documents visible to the caller, newest first."""
        flt = services.IncomingFilter(**args)
        total, items = services.list_incoming(api_user(), flt)
        return {"total": total, "page": flt.page, "per_page": flt.per_page, "items": items}

    @blp.arguments(IncomingUpload, location="multipart")
    @blp.response(201, IncomingSchema)
    @api_roles(Role.CLERK)
    def post(self, form: dict[str, Any]) -> IncomingDocument:
        """Receive a document: multipart ``file`` (one signed PDF, or scan pages) plus fields.

        An electronic document whose signatures do not all validate is held with status
        ``received`` and no arrival number, for the clerk to return or register.
        """
        token, files, attachments = (form.pop(k) for k in ("upload_token", "file", "attachments"))
        return intake.receive(api_user(), form, files, attachments, token)


@blp.route("/incoming/analyse")
class AnalyseIncoming(MethodView):
    @blp.arguments(AnalyseUpload, location="multipart")
    @blp.response(200, AnalyseSchema)
    @api_roles(Role.CLERK)
    def post(self, form: dict[str, Any]) -> dict[str, Any]:
        """Check and store a file; return what was read from it and an ``upload_token``.

        Send the token back as ``upload_token`` with ``POST /incoming`` instead of the file.
        """
        return intake.analyse(api_user(), form["received_via"], form["file"])


@blp.route("/incoming/<int:document_id>/register")
class RegisterIncoming(MethodView):
    @blp.arguments(RegisterArgs)
    @blp.response(200, IncomingSchema)
    @api_roles(Role.CLERK)
    def post(self, args: dict[str, Any], document_id: int) -> IncomingDocument:
        """Give a held document its arrival number."""
        return services.register(document_id, api_user(), args["override_reason"])


@blp.route("/incoming/<int:document_id>/return")
class ReturnIncoming(MethodView):
    @blp.arguments(ReturnArgs)
    @blp.response(200, IncomingSchema)
    @api_roles(Role.CLERK)
    def post(self, args: dict[str, Any], document_id: int) -> IncomingDocument:
        """Return a held document to its sender with a reason."""
        return services.return_to_sender(document_id, args["reason"], api_user())


@blp.route("/incoming/<int:document_id>/present")
class PresentIncoming(MethodView):
    @blp.arguments(PresentArgs)
    @blp.response(200, IncomingSchema)
    @api_roles(Role.CLERK)
    def post(self, args: dict[str, Any], document_id: int) -> IncomingDocument:
        """Present a registered document to a leader."""
        return services.present(document_id, args["leader_id"], api_user())


@blp.route("/incoming/<int:document_id>/route")
class RouteIncoming(MethodView):
    @blp.arguments(RouteArgs)
    @blp.response(200, IncomingSchema)
    @api_roles(Role.LEADER)
    def post(self, args: dict[str, Any], document_id: int) -> IncomingDocument:
        """The leader's direction: lead unit or person, cooperating units, deadline."""
        services.route(
            document_id,
            api_user(),
            direction_text=args["direction"],
            lead_unit_id=args["lead_unit_id"],
            lead_user_id=args["lead_user_id"],
            cooperating_unit_ids=args["cooperating_unit_ids"],
            deadline=args["deadline"],
        )
        return services.get_incoming(document_id, api_user())


@blp.route("/tasks")
class Tasks(MethodView):
    @blp.response(200, TaskSchema(many=True))
    @api_roles()
    def get(self) -> Any:
        """Handling tasks assigned to the caller or the caller's unit."""
        return services.tasks_for(api_user())


@blp.route("/tasks/<int:task_id>/progress")
class TaskProgress(MethodView):
    @blp.arguments(ProgressArgs)
    @blp.response(200, TaskSchema)
    @api_roles()
    def post(self, args: dict[str, Any], task_id: int) -> Any:
        """Record progress on a task; ``done`` completes it."""
        return services.report_progress(task_id, api_user(), args["text"], args["done"])


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
    @api_roles(Role.CLERK, Role.LEADER, Role.ARCHIVIST)
    def get(self, args: dict[str, Any]) -> Response:
        """The incoming register for a date range, as PDF or XLSX."""
        return reports.register_response(
            api_user(), args["date_from"], args["date_to"], args["format"]
        )


@blp.route("/documents/<int:document_id>")
class DocumentItem(MethodView):
    @blp.response(200, DocumentSchema)
    @api_roles()
    def get(self, document_id: int) -> Any:
        """A document the caller is cleared to see (404 otherwise)."""
        return get_visible_document(document_id, api_user())


@blp.route("/documents/<int:document_id>/file")
class DocumentFileDownload(MethodView):
    @blp.response(200, BINARY, content_type=PDF, description="The main file as stored.")
    @blp.doc(responses={200: file_responses()})
    @api_roles()
    def get(self, document_id: int) -> Response:
        """The document's main file, byte for byte as stored (integrity checked on read)."""
        return file_response(services.document_file_for(api_user(), document_id))


@blp.route("/documents/<int:document_id>/signatures")
class DocumentSignatures(MethodView):
    @blp.response(200, SignatureReportSchema)
    @api_roles()
    def get(self, document_id: int) -> dict[str, Any]:
        """The signature validation report of the document's main file."""
        document = get_visible_document(document_id, api_user())
        main = document.main_file
        return (main.signature_report if main else None) or {"verdict": "no_file", "signatures": []}
