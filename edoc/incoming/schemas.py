"""What each incoming action accepts and answers, said once.

``api.py`` loads request bodies with these schemas (flask-smorest) and ``views.py`` loads the
pages' forms with them (:func:`edoc.core.forms.load_form`), so the page and the API of one
action accept the same values and refuse the same ones with the same Vietnamese messages.
Rules that need the database (a known document type, a leader's clearance…) stay in
``services``, where every caller — pages, API, dispatch, package import — meets them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from edoc.api import SignatureReportSchema, UtcDateTime
from edoc.core.clock import MAX_DATE, MIN_DATE
from edoc.core.forms import UserDate
from edoc.core.params import PageOf, id_field
from edoc.documents.listing import ListArgs
from edoc.incoming.models import ReceivedVia

RECEIVED_VIA = [via.value for via in ReceivedVia]


def user_date(**kwargs: Any) -> UserDate:
    """A date typed as dd/mm/yyyy or sent as ISO, within the years the app accepts."""
    return UserDate(
        validate=validate.Range(
            MIN_DATE, MAX_DATE, error="Ngày phải trong khoảng 01/01/1900 – 31/12/2999."
        ),
        **kwargs,
    )


def _received_via() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.OneOf(
            RECEIVED_VIA, error="Hình thức nhận phải là 'paper' hoặc 'electronic'."
        ),
    )


# --- what the actions accept -----------------------------------------------------------------


class ReceiveForm(Schema):
    """The fields the clerk confirms when receiving a document (the page's form)."""

    sender_org = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255),
        error_messages={"required": "Cần nhập cơ quan gửi."},
    )
    number_notation = fields.String(load_default="", validate=validate.Length(max=128))
    issued_date = user_date(load_default=None)
    doc_type = fields.String(required=True)
    subject = fields.String(
        required=True,
        validate=validate.Length(min=1),
        error_messages={"required": "Cần nhập trích yếu nội dung."},
    )
    signer_name = fields.String(load_default="")
    urgency = fields.Integer(
        load_default=0, validate=validate.Range(0, 3, error="Độ khẩn không hợp lệ.")
    )
    secrecy = fields.Integer(
        load_default=0, validate=validate.Range(0, 3, error="Độ mật không hợp lệ.")
    )
    page_count = fields.Integer(
        load_default=None,
        validate=validate.Range(1, 100_000, error="Số trang phải từ {min} đến {max}."),
    )
    received_via = _received_via()
    received_at = UtcDateTime(load_default=None)
    recipient = fields.String(load_default="")
    note = fields.String(load_default="")
    upload_token = fields.String(
        load_default="",
        load_only=True,
        metadata={"description": "from POST /incoming/analyse, instead of sending the file"},
    )


class ReceiveUpload(ReceiveForm):
    """One multipart body: the fields above plus the files."""

    file = fields.List(Upload(), load_default=list)
    attachments = fields.List(Upload(), load_default=list)


class BadSignatureChoice(Schema):
    """What the receive page does, at once, with an electronic document whose signature is
    missing or fails: hold it unnumbered (decide later on its page), return it to the sender, or
    register it anyway with a recorded reason. The clerk sees the check before submitting, so
    the choice is made on the same page (the API calls ``return`` or ``register`` after)."""

    on_bad_signature = fields.String(
        load_default="hold",
        validate=validate.OneOf(["hold", "return", "register"], error="Lựa chọn không hợp lệ."),
    )
    return_reason = fields.String(load_default="")
    override_reason = fields.String(load_default="")


class AnalyseUpload(Schema):
    received_via = _received_via()
    file = fields.List(Upload(), load_default=list)


class IncomingListArgs(ListArgs):
    """The filters of the incoming list (page and API); dates are days of arrival."""

    date_from = user_date(data_key="from", load_default=None)
    date_to = user_date(data_key="to", load_default=None)
    presented_to_id = id_field(load_default=None)  # presented to this leader (the dashboard's)


class RegisterArgs(Schema):
    override_reason = fields.String(load_default="")


class ReturnArgs(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1),
        error_messages={"required": "Cần nêu lý do trả lại."},
    )


class PresentArgs(Schema):
    leader_id = id_field(required=True, error_messages={"required": "Cần chọn lãnh đạo."})


class RouteArgs(Schema):
    """Loaded as the keyword arguments of ``services.route``."""

    direction_text = fields.String(
        data_key="direction",
        required=True,
        validate=validate.Length(min=1),
        error_messages={"required": "Cần nhập ý kiến chỉ đạo."},
    )
    lead_unit_id = id_field(load_default=None)
    lead_user_id = id_field(load_default=None)
    cooperating_unit_ids = fields.List(id_field(), load_default=list)
    deadline = user_date(load_default=None)


class ProgressArgs(Schema):
    text = fields.String(
        required=True,
        validate=validate.Length(min=1),
        error_messages={"required": "Cần nhập nội dung tiến độ."},
    )
    done = fields.Boolean(load_default=False)


class RegisterReportArgs(Schema):
    """Loaded as the keyword arguments of ``reports.register_response``."""

    date_from = user_date(data_key="from", required=True)
    date_to = user_date(data_key="to", required=True)
    fmt = fields.String(
        data_key="format", load_default="pdf", validate=validate.OneOf(["pdf", "xlsx"])
    )

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        start: date | None = data.get("date_from")
        end: date | None = data.get("date_to")
        if start and end and start > end:
            raise SchemaError("Ngày bắt đầu phải trước ngày kết thúc.", "to")


# --- what the API answers --------------------------------------------------------------------


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


class IncomingPage(PageOf):
    items = fields.List(fields.Nested(IncomingSchema))


class TaskSchema(Schema):
    id = fields.Integer()
    document_id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    unit_id = fields.Integer(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    deadline = fields.Date(attribute="routing.deadline", allow_none=True)
    direction = fields.String(attribute="routing.direction_text")
