"""What the exchange pages accept: a peer, an operator's reason, the message list's filters, a
package to export or import. The services check what needs the database (a certificate that
parses, a message that may still be given up)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from edoc.api import UtcDateTime
from edoc.core.forms import organ_code_rule
from edoc.core.params import page_field, per_page_field
from edoc.exchange.models import Direction, MessageKind, MessageState, PeerKind
from edoc.outgoing.schemas import text, uploaded_file

CERTIFICATE_MAX_CHARS = 20_000  # a PEM certificate is 1–3 kB; a chain of a few still fits


class PeerForm(Schema):
    """A peer, hub or member as the admin types it; the certificate is an uploaded PEM file or
    pasted text (either; left empty when editing, the pinned one stays)."""

    organ_code = text(
        required="Cần nhập mã định danh cơ quan.", max_length=32, also=[organ_code_rule]
    )
    name = text(required="Cần nhập tên cơ quan.", max_length=255)
    endpoint = text(max_length=500)
    kind = fields.String(
        load_default=PeerKind.PEER.value,
        validate=validate.OneOf(
            [k.value for k in PeerKind], error="Loại kết nối phải là peer, hub hoặc member."
        ),
    )
    active = fields.Boolean(load_default=False)  # an unticked box is not sent
    transport = fields.String(load_default=None)  # checked against the registered ones
    certificate_text = text(max_length=CERTIFICATE_MAX_CHARS)
    certificate_file = uploaded_file("the peer agency's certificate, a PEM file")


class GiveUpForm(Schema):
    reason = text(required="Cần nêu lý do ngừng gửi.", max_length=2000)


class MessageListArgs(Schema):
    """``/exchange/messages?direction=&state=&kind=&organ=&page=``."""

    direction = fields.String(
        load_default=None,
        validate=validate.OneOf([d.value for d in Direction], error="Chiều gửi không hợp lệ."),
    )
    state = fields.String(
        load_default=None,
        validate=validate.OneOf([s.value for s in MessageState], error="Trạng thái không hợp lệ."),
    )
    kind = fields.String(
        load_default=None,
        validate=validate.OneOf([k.value for k in MessageKind], error="Loại gói tin không hợp lệ."),
    )
    organ = text(max_length=32)
    page = page_field()
    per_page = per_page_field()


class ExportForm(Schema):
    organ_code = text(required="Cần chọn cơ quan nhận.", max_length=32)


class ImportForm(Schema):
    file = uploaded_file("an edXML package (.edxml)", required="Cần chọn tệp .edxml.")


class StatusStepSchema(Schema):
    """One status the recipient's system sent back (01 arrived … 06 done, 02 refused, 13)."""

    code = fields.String(required=True, metadata={"example": "03"})
    label = fields.String(required=True, metadata={"example": "Đã tiếp nhận"})
    description = fields.String(required=True)
    arrival_number = fields.String(required=True, metadata={"description": "with 03"})
    occurred_at = UtcDateTime(required=True, metadata={"description": "the status's own time"})
    received_at = UtcDateTime(required=True)


class DispatchTimelineSchema(Schema):
    """One recipient of an outgoing document sent by exchange, and what became of it."""

    recipient = fields.String(required=True)
    organ_code = fields.String(required=True)
    message_id = fields.String(required=True)
    delivery = fields.String(
        required=True,
        metadata={"description": "waiting, sent, failed, held, given-up or exported"},
    )
    attempts = fields.Integer(required=True)
    last_error = fields.String(required=True)
    statuses = fields.List(fields.Nested(StatusStepSchema), required=True)
