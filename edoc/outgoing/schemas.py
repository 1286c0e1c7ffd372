"""What each outgoing action accepts, said once for its page and its API operation.

``api.py`` loads request bodies with these schemas (flask-smorest); ``views.py`` loads the
browser's forms with the same ones through :func:`edoc.core.forms.load_form`. So a page and
the API of one action accept the same values and refuse the others with the same message.
The schemas check the shape of what is sent; the services check what needs the database or
the caller (a document type that exists, a signer who is a leader, a secrecy the caller may
set).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from marshmallow import Schema, fields, validate

from edoc.core.errors import ValidationError
from edoc.core.forms import UploadedFile, text
from edoc.core.params import id_field
from edoc.documents.listing import ListArgs
from edoc.outgoing.authority import authority_lines, signer_title
from edoc.outgoing.models import AUTHORITY_PREFIXES, COPY_KINDS, OutgoingDocument, OutgoingStatus

# --- fields ------------------------------------------------------------------------------


def uploaded_file(description: str, required: str | None = None) -> UploadedFile:
    """A file field; ``required`` is the message for a file not chosen."""
    if required is None:
        return UploadedFile(load_default=None, metadata={"description": description})
    return UploadedFile(
        required=True,
        error_messages={"required": required, "null": required},
        metadata={"description": description},
    )


class Base64Bytes(fields.String):
    """Bytes sent as base64 text."""

    default_error_messages = {"invalid_base64": "Không phải dữ liệu base64 hợp lệ."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        encoded = super()._deserialize(value, attr, data, **kwargs)
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as error:
            raise self.make_error("invalid_base64") from error


def id_list(required: str, most: int) -> fields.List:
    """Ticked ids: at least one (``required`` says so), at most ``most``."""
    return fields.List(
        id_field(),
        required=True,
        validate=validate.Length(min=1, max=most, error=required),
        error_messages={"required": required},
    )


# --- drafting and review -----------------------------------------------------------------


class DraftForm(Schema):
    """A new draft: its particulars and the file (PDF, or DOCX converted to PDF)."""

    doc_type = fields.String(required=True, error_messages={"required": "Cần chọn loại văn bản."})
    subject = text(required="Cần nhập trích yếu nội dung.")
    recipients = text()
    signer_id = id_field(load_default=None)
    authority_prefix = fields.String(
        load_default="",
        validate=validate.OneOf(AUTHORITY_PREFIXES, error="Thẩm quyền ký không hợp lệ."),
        metadata={
            "description": "signing authority (ND30): empty (the head signs), TM. (for the "
            "collective), KT. (a deputy for the head), Q. (acting), TL. (by order), TUQ. (by "
            "authorisation)"
        },
    )
    signer_title = text(max_length=255)  # the title it is signed under; empty: the signer's
    urgency = fields.Integer(
        load_default=0, validate=validate.Range(0, 3, error="Độ khẩn không hợp lệ.")
    )
    secrecy = fields.Integer(
        load_default=0, validate=validate.Range(0, 3, error="Độ mật không hợp lệ.")
    )
    copies = fields.Integer(
        load_default=1,
        validate=validate.Range(1, 10_000, error="Số bản phải từ {min} đến {max}."),
    )
    legal_normative = fields.Boolean(load_default=False)
    file = uploaded_file("the draft, PDF or DOCX", required="Cần đính kèm tệp dự thảo.")


class VersionForm(Schema):
    """A revised text of the draft; earlier versions are kept."""

    file = uploaded_file("the revised draft, PDF or DOCX", required="Cần chọn tệp dự thảo mới.")
    note = text(max_length=2000)


class AppendixForm(Schema):
    file = uploaded_file(
        "the appendix, PDF or DOCX", required="Cần chọn tệp phụ lục (PDF hoặc DOCX)."
    )


class CommentForm(Schema):
    text = text(required="Cần nhập nội dung góp ý.")


class ReturnForm(Schema):
    """The signing leader gives the draft back to its drafter: what to change."""

    comment = text(required="Cần nêu nội dung cần sửa khi trả lại dự thảo.", max_length=4000)


class SubmitForm(Schema):
    """Sending the draft up; without ``signer_id`` the signer chosen on the draft signs."""

    signer_id = id_field(load_default=None)


# --- the leader's signature through the local agent --------------------------------------


class PrepareArgs(Schema):
    document_ids = id_list("Cần chọn ít nhất một văn bản.", 200)
    # Optional for API clients that sign without showing the text; the signing page always
    # sends it, so a draft revised after the leader read it is refused, not signed unread.
    versions = fields.Dict(
        keys=fields.String(
            validate=validate.Regexp(r"^[1-9]\d{0,9}$", error="Mã văn bản không hợp lệ.")
        ),
        values=fields.String(
            validate=validate.Regexp(r"^[0-9a-f]{64}$", error="Phiên bản dự thảo không hợp lệ.")
        ),
        load_default=dict,
        validate=validate.Length(max=200),
        metadata={
            "description": "document id → SHA-256 of the draft version the leader read; a "
            "draft whose current version differs is refused with 409"
        },
    )
    certificate = Base64Bytes(
        required=True,
        error_messages={"invalid_base64": "Chứng thư số không hợp lệ."},
        metadata={"description": "base64 DER from the agent"},
    )


class FinishArgs(Schema):
    signatures = fields.Dict(
        keys=fields.String(
            validate=validate.Regexp(r"^sr-\d{1,10}$", error="Mã yêu cầu ký không hợp lệ.")
        ),
        values=fields.String(),
        required=True,
        metadata={"description": "signing request id (sr-…) → base64 signature"},
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


# --- issue, copies, sending, recall ------------------------------------------------------


class IssueForm(Schema):
    document_ids = id_list("Cần chọn ít nhất một văn bản.", 200)


class IssuedSchema(Schema):
    id = fields.Integer(required=True)
    number_notation = fields.String(required=True)


class IssueResponse(Schema):
    issued = fields.List(fields.Nested(IssuedSchema), required=True)
    failed = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class CopyForm(Schema):
    """A certified copy (SY, SL, TS) or, through the API, an appendix (PL) to seal."""

    kind = fields.String(
        required=True,
        validate=validate.OneOf(list(COPY_KINDS), error="Loại bản sao không hợp lệ."),
        error_messages={"required": "Loại bản sao không hợp lệ."},
    )
    file = uploaded_file("TS: the extracted part; PL: the appendix PDF")


class CopySchema(Schema):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    sha256 = fields.String(required=True)
    signature_verdict = fields.Function(
        lambda stored: (stored.signature_report or {}).get("verdict"), allow_none=True
    )


class SendForm(Schema):
    organization_ids = id_list("Cần chọn ít nhất một nơi nhận.", 500)


class DispatchSchema(Schema):
    recipient = fields.String(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    incoming_document_id = fields.Integer(allow_none=True)


class SendResponse(Schema):
    dispatches = fields.List(fields.Nested(DispatchSchema), required=True)


class RecallForm(Schema):
    reason = text(required="Cần nêu lý do thu hồi.", max_length=2000)


class ReplaceForm(Schema):
    """Replace an issued document by another issued one (the corrected text)."""

    replacement_id = id_field(
        required=True,
        error_messages={
            "required": "Cần chọn văn bản thay thế.",
            "null": "Cần chọn văn bản thay thế.",
        },
        metadata={"description": "the issued outgoing document that replaces this one"},
    )
    reason = text(required="Cần nêu lý do thay thế.", max_length=2000)


# --- reading -----------------------------------------------------------------------------


def _authority_lines(outgoing: OutgoingDocument) -> list[str]:
    """The block as it would be printed now; empty while it cannot be (settings missing)."""
    try:
        return authority_lines(outgoing)
    except ValidationError:
        return []


class OutgoingListArgs(ListArgs):
    """The outgoing list's filters, on the page and in the API: a status must be one of ours."""

    status = fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in OutgoingStatus])
    )


class OutgoingSchema(Schema):
    id = fields.Integer(attribute="document_id")
    status = fields.String(attribute="document.status")
    number_notation = fields.String(attribute="document.number_notation")
    subject = fields.String(attribute="document.subject")
    doc_type = fields.String(attribute="document.doc_type_code")
    signer_id = fields.Integer(allow_none=True)
    authority_prefix = fields.String()
    signer_title = fields.Function(
        signer_title,
        metadata={
            "type": "string",
            "description": "the title it is signed under (the signer's own by default)",
        },
    )
    authority_lines = fields.Function(
        _authority_lines,
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "the signing authority block as printed, top to bottom (ND30)",
        },
    )
    recipients = fields.String()
    issued_number = fields.Integer(allow_none=True)
    issued_year = fields.Integer(allow_none=True)
    version = fields.Integer(attribute="current_version.number")
    replaced_by_id = fields.Integer(
        allow_none=True, metadata={"description": "the issued document that replaces this one"}
    )


class OutgoingPage(Schema):
    total = fields.Integer(required=True)
    items = fields.List(fields.Nested(OutgoingSchema), required=True)
