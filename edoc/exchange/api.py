"""``POST /api/v1/exchange/inbox``: where other agencies' systems deliver edXML packages; and
``POST /api/v1/exchange/packages``: a package another system of this agency (the one-stop
portal, a ministry's software) or a clerk's script brings, with a bearer token.

No session and no bearer token: the request is authenticated by its signature with the
sending agency's key (headers ``X-Edoc-Organ``, ``X-Edoc-Timestamp``, ``X-Edoc-Signature``:
base64 detached CMS over ``"POST\\n/api/v1/exchange/inbox\\n<timestamp>\\n<sha256 hex of
body>"``), checked against the certificate pinned for that organ. See :mod:`edoc.exchange.keys`
for why this rather than mutual TLS.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields

from edoc.api import Blueprint, refusals
from edoc.core.auth import api_roles, api_user
from edoc.core.errors import AppError
from edoc.documents.access import get_visible_document
from edoc.exchange import edxml, files, inbox, keys, panels, queries
from edoc.exchange.schemas import DispatchTimelineSchema
from edoc.users.models import Role

blp = Blueprint(
    "exchange_api", __name__, url_prefix="/api/v1/exchange", description="Liên thông edXML"
)
S = HTTPStatus


class InboxAnswer(Schema):
    message_id = fields.String(required=True)
    result = fields.String(
        required=True, metadata={"description": "accepted, or already_received (a repeat)"}
    )


XML_BODY = {
    "required": True,
    "description": "An edXML package (QCVN 102:2016), sealed by the sending agency.",
    "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
}
SIGNED_HEADERS = [
    {
        "name": keys.ORGAN_HEADER,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "the sending system's organ code (mã định danh)",
    },
    {
        "name": keys.TIMESTAMP_HEADER,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "UTC, yyyy-mm-ddThh:mm:ssZ, within 10 minutes of the server's clock",
    },
    {
        "name": keys.SIGNATURE_HEADER,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "base64 detached CMS by the agency key over "
        "POST\\n/api/v1/exchange/inbox\\n<timestamp>\\n<sha256 hex of the body>",
    },
]


#: What both ways a package comes in refuse in the package itself.
PACKAGE_REFUSALS = (
    (S.REQUEST_ENTITY_TOO_LARGE, "Package larger than the upload limit."),
    (S.UNPROCESSABLE_ENTITY, "Not a valid edXML package, or not addressed here."),
)


def _answer(accepted: inbox.Accepted, taken: HTTPStatus) -> tuple[dict[str, str], int]:
    """``taken`` for a new package; 200 for a repeat, which creates nothing."""
    if accepted.already_received:
        return {"message_id": accepted.message_id, "result": "already_received"}, S.OK
    return {"message_id": accepted.message_id, "result": "accepted"}, taken


@blp.route("/inbox")
class Inbox(MethodView):
    @blp.doc(requestBody=XML_BODY, parameters=SIGNED_HEADERS, security=[])
    @blp.response(202, InboxAnswer, description="Stored; checked and processed shortly.")
    @blp.alt_response(200, schema=InboxAnswer, description="Already received (a repeat).")
    @refusals(
        blp,
        (S.UNAUTHORIZED, "Unsigned, badly signed or stale request."),
        (S.FORBIDDEN, "The sending organ is not a configured peer."),
        *PACKAGE_REFUSALS,
    )
    def post(self) -> Any:
        """Receive an edXML package (document or status) from another agency's system.

        Checked in this order: the signed headers name a configured peer (nothing of the body
        is read for anyone else: 401/403 whatever its size), then the body's size, then its
        signature, then the package; the seal and the PDF's signatures are verified by the
        worker afterwards, with no transaction open."""
        caller = inbox.identify_caller(
            request.headers.get(keys.ORGAN_HEADER, ""),
            request.headers.get(keys.TIMESTAMP_HEADER, ""),
            request.headers.get(keys.SIGNATURE_HEADER, ""),
        )
        body = _bounded_body()  # only once the caller is a known peer
        inbox.check_request(caller, body)
        accepted = inbox.accept_package(body, via=caller.organ)
        return _answer(accepted, S.ACCEPTED)


@blp.route("/packages")
class Packages(MethodView):
    @blp.doc(requestBody=XML_BODY)
    @blp.response(201, InboxAnswer, description="Stored and checked: in the clerk's queue.")
    @blp.alt_response(200, schema=InboxAnswer, description="Already received (a repeat).")
    @refusals(
        blp,
        (S.UNAUTHORIZED, "Not signed in."),
        (S.FORBIDDEN, "Only clerks bring packages in."),
        *PACKAGE_REFUSALS,
    )
    @api_roles(Role.CLERK)
    def post(self) -> Any:
        """Bring an edXML package in (as ``edoc exchange import``): the same checks as the
        inbox except the request signature, which the caller's token replaces; the package's
        own seal is still verified. A refused package answers 201 too, with the refusal on the
        message (it is the sender who must hear of it, by status 02)."""
        accepted = files.import_package(_bounded_body(), api_user())
        return _answer(accepted, S.CREATED)


@blp.route("/documents/<int:document_id>/dispatches")
class DocumentDispatches(MethodView):
    @blp.response(200, DispatchTimelineSchema(many=True))
    @refusals(blp, 401, (404, "No such document, or not one the caller may see."))
    @api_roles()
    def get(self, document_id: int) -> list[dict[str, Any]]:
        """The recipients an outgoing document was sent to by exchange, each with its delivery
        and the statuses their system sent back (what the document's page shows)."""
        get_visible_document(document_id, api_user())
        return [_timeline(t) for t in queries.dispatch_timelines(document_id)]


def _timeline(timeline: queries.DispatchTimeline) -> dict[str, Any]:
    package = timeline.package
    return {
        "recipient": timeline.dispatch.recipient,
        "organ_code": package.to_organ if package else "",
        "message_id": package.message_id if package else "",
        "delivery": panels.delivery(package)["state"] if package else "waiting",
        "attempts": package.attempts if package else 0,
        "last_error": package.last_error if package else "",
        "statuses": [
            {
                "code": event.status_code,
                "label": edxml.STATUS_LABELS.get(event.status_code, ""),
                "description": event.description,
                "arrival_number": event.arrival_number,
                "occurred_at": event.occurred_at,
                "received_at": event.received_at,
            }
            for event in timeline.events
        ],
    }


def _bounded_body() -> bytes:
    limit = current_app.config["EDOC"].max_upload_mb * 1024 * 1024
    if request.content_length is None or request.content_length > limit:
        raise AppError(
            "package_too_large",
            _("Gói tin quá lớn (tối đa %(n)s MB) hoặc thiếu độ dài.", n=limit // 1048576),
            413,
        )
    return request.get_data(cache=False)
