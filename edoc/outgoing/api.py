"""``/api/v1/outgoing``: drafts, review, the leader's signature through the agent, issue,
copies, sending, recall. What each operation accepts is in :mod:`edoc.outgoing.schemas`, shared
with the pages."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from edoc.api import Blueprint, refusals
from edoc.core.auth import api_roles, api_user
from edoc.outgoing import issuing, sending, services, signing
from edoc.outgoing.schemas import (
    CopyForm,
    CopySchema,
    DraftForm,
    FinishArgs,
    FinishResponse,
    IssueForm,
    IssueResponse,
    OutgoingListArgs,
    OutgoingPage,
    OutgoingSchema,
    PrepareArgs,
    PrepareResponse,
    RecallForm,
    ReplaceForm,
    ReturnForm,
    SendForm,
    SendResponse,
    SubmitForm,
)
from edoc.users.models import Role

blp = Blueprint("outgoing_api", __name__, url_prefix="/api/v1", description="Văn bản đi")

NOT_VISIBLE = (404, "No such document, or not one the caller may see.")


@blp.route("/outgoing")
class OutgoingCollection(MethodView):
    @blp.arguments(OutgoingListArgs, location="query")
    @blp.response(200, OutgoingPage)
    @refusals(blp, 401)
    @api_roles()
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Outgoing documents visible to the caller (``status=issued`` for the issued ones)."""
        flt = services.OutgoingFilter(**args)
        total, items = services.list_outgoing(api_user(), flt)
        return {"total": total, "items": items}

    @blp.arguments(DraftForm, location="multipart")
    @blp.response(201, OutgoingSchema)
    @refusals(blp, (503, "The file store cannot be reached."))
    @refusals(blp, 401, 403)
    @api_roles(Role.SPECIALIST, Role.CLERK, Role.LEADER)
    def post(self, form: dict[str, Any]) -> Any:
        """Create a draft from a PDF or DOCX (multipart ``file``)."""
        upload = form.pop("file")
        return services.create_draft(services.DraftFields(**form), upload, api_user())


@blp.route("/outgoing/<int:document_id>/submit")
class Submit(MethodView):
    @blp.arguments(SubmitForm)
    @blp.response(200, OutgoingSchema)
    @refusals(
        blp,
        (403, "Only its drafter or a leader among its readers sends a draft up."),
        NOT_VISIBLE,
        (409, "The document is not a draft."),
    )
    @refusals(blp, 401)
    @api_roles()
    def post(self, form: dict[str, Any], document_id: int) -> Any:
        """Send the draft to the leader who signs it."""
        return services.submit(document_id, api_user(), form["signer_id"])


@blp.route("/outgoing/<int:document_id>/return")
class Return(MethodView):
    @blp.arguments(ReturnForm)
    @blp.response(200, OutgoingSchema)
    @refusals(
        blp,
        (403, "Only the leader the draft waits for gives it back."),
        NOT_VISIBLE,
        (409, "The document is not waiting for a signature."),
    )
    @refusals(blp, 401)
    @api_roles(Role.LEADER)
    def post(self, form: dict[str, Any], document_id: int) -> Any:
        """Give a submitted draft back to its drafter with a comment: it is a draft again."""
        return services.return_to_drafter(document_id, api_user(), form["comment"])


@blp.route("/outgoing/sign/prepare")
class SignPrepare(MethodView):
    @blp.arguments(PrepareArgs)
    @blp.response(200, PrepareResponse)
    @refusals(
        blp,
        NOT_VISIBLE,
        (409, "A draft has a newer version than the one the leader read."),
        (503, "The file store cannot be reached."),
    )
    @refusals(blp, 401, 403)
    @api_roles(Role.LEADER)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Prepare drafts for the leader's certificate; returns the digests for the agent."""
        read = {int(k): v for k, v in args["versions"].items()}
        digests = signing.prepare_batch(
            args["document_ids"], args["certificate"], api_user(), read_versions=read
        )
        return {"items": [d.to_dict() for d in digests]}


@blp.route("/outgoing/sign/finish")
class SignFinish(MethodView):
    @blp.arguments(FinishArgs)
    @blp.response(200, FinishResponse)
    @refusals(blp, (503, "The file store cannot be reached."))
    @refusals(blp, 401, 403)
    @api_roles(Role.LEADER)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Embed the signatures the agent returned; each result is validated before it counts."""
        return signing.finish_batch(args["signatures"], api_user())


@blp.route("/outgoing/issue")
class Issue(MethodView):
    @blp.arguments(IssueForm)
    @blp.response(200, IssueResponse)
    @refusals(blp, (503, "The agency token is not configured, or the file store is down."))
    @refusals(blp, 401, 403)
    @api_roles(Role.CLERK)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Number, date and agency signature for leader-signed documents (server-side token)."""
        return issuing.issue(args["document_ids"], api_user())


@blp.route("/outgoing/<int:document_id>/send")
class Send(MethodView):
    @blp.arguments(SendForm)
    @blp.response(200, SendResponse)
    @refusals(
        blp,
        NOT_VISIBLE,
        (409, "Not issued, or already sent to one of these recipients."),
        (503, "The file store cannot be reached."),
    )
    @refusals(blp, 401, 403)
    @api_roles(Role.CLERK)
    def post(self, args: dict[str, Any], document_id: int) -> dict[str, Any]:
        """Send an issued document; each recipient's sending is recorded (all or none; a
        recipient it was already sent to is refused with 409, as on the page)."""
        dispatches = sending.send_document(document_id, args["organization_ids"], api_user())
        return {"dispatches": dispatches}


@blp.route("/outgoing/<int:document_id>/copies")
class Copies(MethodView):
    @blp.arguments(CopyForm, location="multipart")
    @blp.response(200, CopySchema)
    @refusals(
        blp,
        NOT_VISIBLE,
        (409, "The document is not issued."),
        (503, "The agency token is not configured, or the file store is down."),
    )
    @refusals(blp, 401, 403)
    @api_roles(Role.CLERK)
    def post(self, args: dict[str, Any], document_id: int) -> Any:
        """An electronic copy (SY, SL, TS) or appendix (PL) with the agency's text stamp."""
        upload = args["file"]
        pdf = upload.read() if upload else None
        return issuing.sign_copy(document_id, args["kind"], api_user(), pdf)


@blp.route("/outgoing/<int:document_id>/recall")
class Recall(MethodView):
    @blp.arguments(RecallForm)
    @blp.response(200, OutgoingSchema)
    @refusals(blp, NOT_VISIBLE, (409, "The document is not issued."))
    @refusals(blp, 401, 403)
    @api_roles(Role.CLERK, Role.LEADER)
    def post(self, args: dict[str, Any], document_id: int) -> Any:
        """Recall an issued document (it keeps its number); recipients are told."""
        return services.recall(document_id, api_user(), args["reason"])


@blp.route("/outgoing/<int:document_id>/replace")
class Replace(MethodView):
    @blp.arguments(ReplaceForm)
    @blp.response(200, OutgoingSchema)
    @refusals(
        blp,
        NOT_VISIBLE,
        (409, "The document is not issued, or the replacement already replaces another."),
        (422, "The replacement is not another issued document the caller may see."),
    )
    @refusals(blp, 401, 403)
    @api_roles(Role.CLERK, Role.LEADER)
    def post(self, args: dict[str, Any], document_id: int) -> Any:
        """Replace an issued document by another issued one: it keeps its number and is
        marked replaced; recipients reached by exchange receive the new one as a replacement
        (edXML business type 3)."""
        return services.replace(document_id, args["replacement_id"], api_user(), args["reason"])
