"""``/api/v1/outgoing``: drafts, review, the leader's signature through the agent, recall."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from edoc.api import Blueprint
from edoc.core.auth import api_roles, api_user
from edoc.core.errors import AppError
from edoc.core.params import id_field, page_field, per_page_field
from edoc.outgoing import services, signing
from edoc.outgoing.models import AUTHORITY_PREFIXES, OutgoingStatus
from edoc.users.models import Role

blp = Blueprint("outgoing_api", __name__, url_prefix="/api/v1", description="Văn bản đi")


class DraftForm(Schema):
    doc_type = fields.String(required=True)
    subject = fields.String(required=True, validate=validate.Length(min=1))
    recipients = fields.String(load_default="")
    signer_id = id_field(load_default=None)
    authority_prefix = fields.String(load_default="", validate=validate.OneOf(AUTHORITY_PREFIXES))
    urgency = fields.Integer(load_default=0, validate=validate.Range(0, 3))
    secrecy = fields.Integer(load_default=0, validate=validate.Range(0, 3))
    copies = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    legal_normative = fields.Boolean(load_default=False)
    file = Upload(load_default=None, metadata={"description": "the draft, PDF or DOCX"})


class OutgoingSchema(Schema):
    id = fields.Integer(attribute="document_id")
    status = fields.String(attribute="document.status")
    number_notation = fields.String(attribute="document.number_notation")
    subject = fields.String(attribute="document.subject")
    doc_type = fields.String(attribute="document.doc_type_code")
    signer_id = fields.Integer(allow_none=True)
    authority_prefix = fields.String()
    recipients = fields.String()
    issued_number = fields.Integer(allow_none=True)
    issued_year = fields.Integer(allow_none=True)
    version = fields.Integer(attribute="current_version.number")


class ListArgs(Schema):
    status = fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in OutgoingStatus])
    )
    q = fields.String(load_default="")
    page = page_field()
    per_page = per_page_field()


class OutgoingPage(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(OutgoingSchema), required=True)


class SubmitArgs(Schema):
    signer_id = id_field(load_default=None)


class PrepareArgs(Schema):
    document_ids = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=200))
    certificate = fields.String(
        required=True, metadata={"description": "base64 DER from the agent"}
    )


class SigningDigest(Schema):
    id = fields.String(required=True, metadata={"description": "signing request, for finish"})
    document_id = fields.Integer(required=True)
    digest = fields.String(required=True, metadata={"description": "base64"})
    digest_algorithm = fields.String(required=True)


class PrepareResponse(Schema):
    items = fields.List(fields.Nested(SigningDigest), required=True)


class FinishResponse(Schema):
    signed = fields.List(fields.Integer(), required=True)
    failed = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class FinishArgs(Schema):
    signatures = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class RecallArgs(Schema):
    reason = fields.String(required=True)


@blp.route("/outgoing")
class OutgoingCollection(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, OutgoingPage)
    @api_roles()
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Outgoing documents visible to the caller (``status=issued`` for the issued ones)."""
        flt = services.OutgoingFilter(**args)
        total, items = services.list_outgoing(api_user(), flt)
        return {"total": total, "items": items}

    @blp.arguments(DraftForm, location="multipart")
    @blp.response(201, OutgoingSchema)
    @api_roles(Role.SPECIALIST, Role.CLERK, Role.LEADER)
    def post(self, form: dict[str, Any]) -> Any:
        """Create a draft from a PDF or DOCX (multipart ``file``)."""
        upload = form.pop("file")
        if upload is None or not upload.filename:
            raise AppError("file_required", _("Cần đính kèm tệp dự thảo."), 422)
        return services.create_draft(services.DraftFields(**form), upload, api_user())


@blp.route("/outgoing/<int:document_id>/submit")
class Submit(MethodView):
    @blp.arguments(SubmitArgs)
    @blp.response(200, OutgoingSchema)
    @api_roles()
    def post(self, args: dict[str, Any], document_id: int) -> Any:
        """Send the draft to the leader who signs it."""
        return services.submit(document_id, api_user(), args["signer_id"])


@blp.route("/outgoing/sign/prepare")
class SignPrepare(MethodView):
    @blp.arguments(PrepareArgs)
    @blp.response(200, PrepareResponse)
    @api_roles(Role.LEADER)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Prepare drafts for the leader's certificate; returns the digests for the agent."""
        try:
            certificate = base64.b64decode(args["certificate"], validate=True)
        except (binascii.Error, ValueError):
            raise AppError("bad_certificate", _("Chứng thư số không hợp lệ."), 422) from None
        digests = signing.prepare_batch(args["document_ids"], certificate, api_user())
        return {"items": [d.to_dict() for d in digests]}


@blp.route("/outgoing/sign/finish")
class SignFinish(MethodView):
    @blp.arguments(FinishArgs)
    @blp.response(200, FinishResponse)
    @api_roles(Role.LEADER)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Embed the signatures the agent returned; each result is validated before it counts."""
        return signing.finish_batch(args["signatures"], api_user())


class IssueArgs(Schema):
    document_ids = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=200))


class IssuedSchema(Schema):
    id = fields.Integer(required=True)
    number_notation = fields.String(required=True)


class IssueResponse(Schema):
    issued = fields.List(fields.Nested(IssuedSchema), required=True)
    failed = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


@blp.route("/outgoing/issue")
class Issue(MethodView):
    @blp.arguments(IssueArgs)
    @blp.response(200, IssueResponse)
    @api_roles(Role.CLERK)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Number, date and agency signature for leader-signed documents (server-side token)."""
        from edoc.outgoing.issuing import issue

        return issue(args["document_ids"], api_user())


class SendArgs(Schema):
    organization_ids = fields.List(
        id_field(), required=True, validate=validate.Length(min=1, max=500)
    )


class CopyArgs(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["SY", "SL", "TS", "PL"]))
    file = Upload(load_default=None, metadata={"description": "PL: the appendix PDF"})


class CopySchema(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    sha256 = fields.String(required=True)
    signature_verdict = fields.String(allow_none=True)


class DispatchSchema(Schema):
    recipient = fields.String(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    incoming_document_id = fields.Integer(allow_none=True)


class SendResponse(Schema):
    dispatches = fields.List(fields.Nested(DispatchSchema), required=True)


class OrganizationSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    internal = fields.Boolean(load_default=False)


@blp.route("/organizations")
class Organizations(MethodView):
    @blp.response(200, OrganizationSchema(many=True))
    @api_roles()
    def get(self) -> Any:
        """The directory of agencies documents are sent to."""
        from sqlalchemy import select

        from edoc.core.extensions import db
        from edoc.outgoing.models import Organization

        return db.session.scalars(select(Organization).order_by(Organization.name)).all()

    @blp.arguments(OrganizationSchema)
    @blp.response(201, OrganizationSchema)
    @api_roles(Role.ADMIN, Role.CLERK)
    def post(self, args: dict[str, Any]) -> Any:
        """Add an agency to the directory (``internal``: served by this installation)."""
        from edoc.outgoing.sending import create_organization

        return create_organization(args["code"], args["name"], args["internal"], api_user())


@blp.route("/outgoing/<int:document_id>/send")
class Send(MethodView):
    @blp.arguments(SendArgs)
    @blp.response(200, SendResponse)
    @api_roles(Role.CLERK)
    def post(self, args: dict[str, Any], document_id: int) -> dict[str, Any]:
        """Send an issued document; each recipient's sending is recorded (all or none; a
        recipient it was already sent to is refused with 409, as on the page)."""
        from edoc.outgoing.sending import send_document

        dispatches = send_document(document_id, args["organization_ids"], api_user())
        return {
            "dispatches": [
                {
                    "recipient": d.recipient,
                    "channel": d.channel,
                    "status": d.status,
                    "incoming_document_id": d.incoming_document_id,
                }
                for d in dispatches
            ]
        }


@blp.route("/outgoing/<int:document_id>/copies")
class Copies(MethodView):
    @blp.arguments(CopyArgs, location="multipart")
    @blp.response(200, CopySchema)
    @api_roles(Role.CLERK)
    def post(self, args: dict[str, Any], document_id: int) -> dict[str, Any]:
        """An electronic copy (SY, SL, TS) or appendix (PL) with the agency's text stamp."""
        from edoc.outgoing.issuing import sign_copy

        upload = args["file"]
        stored = sign_copy(document_id, args["kind"], api_user(), upload.read() if upload else None)
        return {
            "id": stored.id,
            "filename": stored.filename,
            "sha256": stored.sha256,
            "signature_verdict": (stored.signature_report or {}).get("verdict"),
        }


@blp.route("/outgoing/<int:document_id>/recall")
class Recall(MethodView):
    @blp.arguments(RecallArgs)
    @blp.response(200, OutgoingSchema)
    @api_roles(Role.CLERK, Role.LEADER)
    def post(self, args: dict[str, Any], document_id: int) -> Any:
        """Recall an issued document (it keeps its number); recipients are told."""
        return services.recall(document_id, api_user(), args["reason"])
