"""What the integration API and the admin pages accept and answer, said once."""

from __future__ import annotations

import json
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, pre_load, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from edoc.api import UtcDateTime
from edoc.core.forms import UserDate
from edoc.core.params import PageOf, id_field, page_field, per_page_field
from edoc.incoming.models import ReceivedVia
from edoc.integrations.models import DeliveryStatus, WebhookEvent
from edoc.integrations.services import EVENT_NAMES

STATUS_NAMES = [status.value for status in DeliveryStatus]

# --- webhooks ----------------------------------------------------------------------------------


def _events(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(EVENT_NAMES, error="Sự kiện không hợp lệ.")),
        metadata={"description": "a subset of: " + ", ".join(EVENT_NAMES)},
        **kwargs,
    )


class WebhookCreate(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "http:// or https://, no credentials"},
    )
    events = _events(required=True, validate=validate.Length(min=1))


class WebhookUpdate(Schema):
    name = fields.String(validate=validate.Length(min=1, max=255))
    url = fields.String(validate=validate.Length(min=1, max=2000))
    events = _events(validate=validate.Length(min=1))
    active = fields.Boolean()


class WebhookSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    active = fields.Boolean()
    created_by = fields.String(attribute="created_by.username", allow_none=True)
    created_at = UtcDateTime()


class WebhookCreated(WebhookSchema):
    secret = fields.String(
        metadata={
            "description": "the HMAC secret, shown in this answer only: keep it at the receiver"
        }
    )


class DeliveryArgs(Schema):
    """The delivery log's filters (page and API)."""

    status = fields.String(load_default=None, validate=validate.OneOf(STATUS_NAMES))
    event_type = fields.String(
        data_key="event", load_default=None, validate=validate.OneOf([*EVENT_NAMES, "ping"])
    )
    document_id = id_field(load_default=None)
    date_from = UserDate(data_key="from", load_default=None)
    date_to = UserDate(data_key="to", load_default=None)
    page = page_field()
    per_page = per_page_field()


class DeliverySchema(Schema):
    id = fields.Integer()
    subscription_id = fields.Integer()
    event_id = fields.String()
    event_type = fields.String()
    document_id = fields.Integer(allow_none=True)
    payload = fields.Dict(keys=fields.String())
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = UtcDateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String()
    created_at = UtcDateTime()
    delivered_at = UtcDateTime(allow_none=True)


class DeliveryPage(PageOf):
    items = fields.List(fields.Nested(DeliverySchema))


class GiveUpForm(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        error_messages={"required": "Cần nêu lý do bỏ qua."},
    )


# --- inbound documents -------------------------------------------------------------------------

METADATA_FIELDS = (
    "sender_code",
    "sender_name",
    "number_notation",
    "doc_type",
    "subject",
    "issued_date",
    "signer",
    "urgency",
    "secrecy",
    "external_reference",
    "received_via",
)


class InboundUpload(Schema):
    """One multipart body: ``file`` (the PDF) and the metadata, either as one JSON object in
    the ``metadata`` part or as separate form fields with the same names."""

    file = fields.List(Upload(), load_default=list)
    metadata_json = fields.String(
        data_key="metadata",
        load_default="",
        metadata={"description": "a JSON object with the fields below (instead of form fields)"},
    )
    sender_code = fields.String(
        load_default="",
        validate=validate.Length(max=32),
        metadata={"description": "the sender's organ code (mã định danh, e.g. 000.00.00.H30)"},
    )
    sender_name = fields.String(load_default="", validate=validate.Length(max=255))
    number_notation = fields.String(load_default="", validate=validate.Length(max=128))
    doc_type = fields.String(load_default="", validate=validate.Length(max=16))
    subject = fields.String(load_default="", validate=validate.Length(max=5000))
    issued_date = UserDate(load_default=None)
    signer = fields.String(load_default="", validate=validate.Length(max=255))
    urgency = fields.Integer(
        load_default=0, validate=validate.Range(0, 3, error="Độ khẩn không hợp lệ.")
    )
    secrecy = fields.Integer(
        load_default=0, validate=validate.Range(0, 3, error="Độ mật không hợp lệ.")
    )
    external_reference = fields.String(
        load_default="",
        validate=validate.Length(max=255),
        metadata={"description": "the sending system's own id; a repeat returns the same document"},
    )
    received_via = fields.String(
        load_default=ReceivedVia.ELECTRONIC.value,
        validate=validate.OneOf([v.value for v in ReceivedVia]),
        metadata={"description": "electronic (signatures checked) or paper (a scan)"},
    )

    @pre_load
    def _from_metadata(self, data: Any, **_kwargs: Any) -> Any:
        raw = data.get("metadata") if hasattr(data, "get") else None
        if not raw:
            return data
        try:
            metadata = json.loads(raw)
        except (TypeError, ValueError):
            raise SchemaError("metadata phải là một đối tượng JSON.", "metadata") from None
        if not isinstance(metadata, dict):
            raise SchemaError("metadata phải là một đối tượng JSON.", "metadata")
        unknown = sorted(set(metadata) - set(METADATA_FIELDS))
        if unknown:
            raise SchemaError(f"Trường không được nhận: {', '.join(unknown)}.", "metadata")
        merged = {key: data[key] for key in data if key != "metadata"}
        return merged | metadata

    @validates_schema
    def _required(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, str] = {}
        if (
            not (data.get("sender_code") or "").strip()
            and not (data.get("sender_name") or "").strip()
        ):
            errors["sender_name"] = "Cần nêu cơ quan gửi (sender_code hoặc sender_name)."
        if not (data.get("subject") or "").strip():
            errors["subject"] = "Cần nhập trích yếu nội dung."
        if not (data.get("doc_type") or "").strip():
            errors["doc_type"] = "Cần nêu loại văn bản."
        if errors:
            raise SchemaError(errors)


class InboundAnswer(Schema):
    id = fields.Integer(metadata={"description": "the incoming document's id"})
    status = fields.String(metadata={"description": "received: in the clerk's queue"})
    arrival_number = fields.Integer(allow_none=True)
    signature_verdict = fields.String(allow_none=True)
    external_reference = fields.String()
    idempotency_key = fields.String()
    created = fields.Boolean(metadata={"description": "false: a repeat of an earlier call"})


WEBHOOK_EVENTS = [(event.value, event.label) for event in WebhookEvent]
