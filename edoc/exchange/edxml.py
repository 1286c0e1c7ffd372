"""edXML packages (QCVN 102:2016): build them, parse them as hostile input, and say what is signed.

A pure module: values in, bytes out, and back. It imports nothing from ``edoc``, Flask or
SQLAlchemy, so transports, hubs, the bench and the tests can all use it as is.

What is the standard's and what is ours
---------------------------------------
The standard's (namespace ``edXML`` = ``http://www.mic.gov.vn/TBT/QCVN_102_2016``)::

    edXMLEnvelope
      edXMLHeader
        MessageHeader  From, To+, Code(CodeNumber, CodeNotation), PromulgationInfo(Place,
                       PromulgationDate yyyy/MM/dd), DocumentType(Type, TypeName), Subject,
                       Content, SignerInfo(Competence, Position, FullName), DueDate,
                       ToPlaces/Place*, OtherInfo(Priority, SphereOfPromulgation,
                       TyperNotation, PromulgationAmount, PageAmount, Appendixes/Appendix*),
                       ResponseFor(OrganId, Code, PromulgationDate, DocumentId),
                       SteeringType, DocumentId
          (From/To: OrganId, OrganName, OrganAdd, Email, Telephone, Website)
        or Status      ResponseFor, From, To, StatusCode, Description, Timestamp,
                       StaffInfo(Department, Staff, Mobile, Email)
        TraceHeaderList  TraceHeader*(OrganId, Timestamp), and for a document
                       Bussiness(BussinessDocType, BussinessDocReason,
                       ReplacementInfoList/ReplacementInfo*/DocumentId) -- the standard's
                       spelling; the systems in service carry it here, so we do too (it is
                       still signed: signing works on values, see below)
        Signature
      edXMLBody
        edXMLManifest  Reference*(ContentId, AttachmentName, ContentType, Description)
      AttachmentEncoded
        Attachment*    ContentId, AttachmentName, ContentType, Description,
                       ContentTransferEncoded (the base64 content)

Ours (namespace ``edoc`` = ``urn:edoc:exchange:1``), for what the standard leaves open:

- ``MessageHeader/edoc:MessageId``: the package's identity, a UUID, for de-duplication;
  ``edoc:Secrecy`` and ``edoc:Urgency`` (0-3: none, Mật/Khẩn, Tối mật/Thượng khẩn,
  Tuyệt mật/Hỏa tốc), kept apart from the standard's ``OtherInfo/Priority``.
- ``Status/edoc:MessageId`` (the status's own id), ``edoc:AboutMessageId`` (the package it is
  about) and ``edoc:ArrivalNumber`` (the số đến, with status 03).
- ``Reference/edoc:Sha256``: the attachment's SHA-256 (lowercase hex). Required: parse
  recomputes every attachment's digest and refuses a mismatch.
- ``Signature`` holds the base64 of a DER detached CMS over :func:`signed_content` (not an
  XML-DSig: no C14N library to trust, and the check does not depend on how a hub re-serialises
  the XML).
- Time stamps are ISO 8601 with their UTC offset (``2026-12-01T09:30:00+07:00``); the
  ``yyyy/MM/dd HH:mm:ss`` form other systems write is read as Vietnam time (+07:00).
- The root is ``edXMLEnvelope`` with ``AttachmentEncoded`` as its last child; a package wrapped
  in an ``edXML`` root with ``AttachmentEncoded`` beside the envelope is read too. A status
  package has an empty ``edXMLBody`` and no ``AttachmentEncoded``.
- A content id is written bare in both ``ContentId`` elements (``xlink:href="cid:…"`` on the
  Reference); a manifest ``ContentId`` of the form ``cid:…`` is read too.

What is signed
--------------
:func:`signed_content` is canonical JSON (sorted keys, no spaces, UTF-8, dates ``yyyy-mm-dd``,
instants in UTC) of the *values*: the message id, every header or status field, and for each
attachment its content id, name, content type, description, size and SHA-256 -- not its bytes
(the digest covers them), not the traces (hubs append to them), not the signature. JSON of the
values rather than a C14N of rebuilt XML because the values are what the receiver acts on, and
equal values give equal bytes whatever a hub did to whitespace, prefixes or element order.
So ``signed_content(parse(build(m))) == signed_content(m)``; a changed header field changes it;
a changed attachment byte either no longer matches the manifest's digest (parse refuses it,
``attachment_digest_mismatch``) or, if the digest was changed with it, changes the signed bytes.

Reading hostile input
---------------------
In order: the size (``package_too_large``) before anything else; only UTF-8 (no NUL byte, no
other declared encoding, so the next scan sees all markup); any ``<!`` that is not a comment or
CDATA -- a DOCTYPE, ENTITY or other declaration -- is refused outright (``xml_forbidden``);
then lxml with ``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
remove_pis=True`` (the parser also refuses a DOCTYPE it sees). The parser feeds a small tree
builder of ours instead of building lxml's own tree: libxml2's tree refuses text nodes over
10 MB unless ``huge_tree`` is on, and the base64 of an attachment is streamed from the parser
into a strict decoder and SHA-256 as it arrives, so ``huge_tree`` stays off (its depth and
name limits with it). The builder keeps libxml2's other guard in its own terms: at most
``MAX_ELEMENTS`` elements and ``MAX_TEXT_CHARS`` of text in any element but an attachment's
content (``package_too_large``). Then every value is read strictly (``edxml_invalid`` naming
the element), names (``attachment_name_invalid``), manifest against attachments one to one
(``attachment_missing``) and digests (``attachment_digest_mismatch``).

Memory: parse holds the package bytes, the decoded attachments, and while an attachment is
finished a second copy of it (its decoded chunks being joined) -- about 1.33 + 2 times an
attachment's size at the peak, nothing proportional to its base64 text. build holds the
attachments, their base64 and the output (about 1 + 2 x 1.33 times their size). Measured with
one 50 MB attachment: parse peaks 100 MB above the 67 MB package (0.5 s), build 123 MB above
the data (1 s).
"""

from __future__ import annotations

import binascii
import dataclasses
import hashlib
import json
import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from lxml import etree

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
EXT_NS = "urn:edoc:exchange:1"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAX_PACKAGE_BYTES = 200 * 1024 * 1024
MAX_NAME_CHARS = 255
MAX_ELEMENTS = 100_000  # a package has about 80 + 12 per attachment
MAX_TEXT_CHARS = 10_000_000  # in one element other than an attachment's base64 content
#: Values a receiving system stores in fixed-width columns: longer ones are refused when read
#: (a hostile package must not fail the database write). Number and notation together fit a
#: document's ``number_notation`` (128); a DocumentId adds the organ code and date.
MAX_CODE_CHARS = 128
MAX_DOCUMENT_ID_CHARS = 255
MAX_ARRIVAL_NUMBER_CHARS = 32
SIGNED_CONTENT_VERSION = 1

VIETNAM = timezone(timedelta(hours=7))

STATUS_LABELS: dict[str, str] = {
    "01": "Đã đến",
    "02": "Từ chối tiếp nhận",
    "03": "Đã tiếp nhận",
    "04": "Đã phân công",
    "05": "Đang xử lý",
    "06": "Đã hoàn thành",
    "13": "Thu hồi",
}

# Every text a person may read, in one place so that a translation can follow.
# Keys are "<code>" or "<code>:<variant>"; the values are str.format templates.
MESSAGES: dict[str, str] = {
    "package_too_large": "Gói tin edXML quá lớn ({size} byte, tối đa {limit} byte).",
    "package_too_large:elements": "Gói tin edXML có quá nhiều phần tử (tối đa {limit}).",
    "package_too_large:text": "Nội dung phần tử {element} quá dài (tối đa {limit} ký tự).",
    "xml_forbidden": "Gói tin có khai báo DOCTYPE, ENTITY hoặc khai báo khác không được phép.",
    "xml_forbidden:encoding": "Gói tin phải được mã hóa UTF-8.",
    "xml_malformed": "Gói tin không phải XML hợp lệ: {detail}",
    "edxml_invalid:missing": "Gói tin edXML thiếu phần tử {element}.",
    "edxml_invalid:empty": "Phần tử {element} của gói tin edXML không được để trống.",
    "edxml_invalid:repeated": "Phần tử {element} chỉ được xuất hiện một lần.",
    "edxml_invalid:root": "Phần tử gốc phải là edXMLEnvelope, không phải {found}.",
    "edxml_invalid:kind": "Phần đầu gói tin phải có đúng một trong MessageHeader hoặc Status.",
    "edxml_invalid:organ_id": (
        "Mã định danh cơ quan ở {element} không đúng dạng 000.00.00.H30: {value}."
    ),
    "edxml_invalid:date": "Ngày ở {element} không đúng dạng yyyy/MM/dd: {value}.",
    "edxml_invalid:timestamp": "Thời điểm ở {element} không hợp lệ: {value}.",
    "edxml_invalid:naive_timestamp": "Thời điểm ở {element} phải kèm múi giờ.",
    "edxml_invalid:integer": "Giá trị ở {element} phải là số nguyên từ {low} đến {high}: {value}.",
    "edxml_invalid:uuid": "Mã gói tin ở {element} phải là một UUID: {value}.",
    "edxml_invalid:status_code": "Mã trạng thái {value} không thuộc danh mục.",
    "edxml_invalid:base64": "Nội dung base64 ở {element} không hợp lệ.",
    "edxml_invalid:digest": "Mã băm ở {element} phải là SHA-256 dạng hex: {value}.",
    "edxml_invalid:content_id": "Mã nội dung (ContentId) không hợp lệ: {value}.",
    "edxml_invalid:content_id_repeated": "Mã nội dung (ContentId) {value} bị trùng.",
    "edxml_invalid:content_type": "Kiểu nội dung ở {element} không hợp lệ: {value}.",
    "edxml_invalid:attachment_disagrees": (
        "Thông tin {element} của tệp {value} khác với danh mục tệp đính kèm."
    ),
    "edxml_invalid:status_attachments": "Gói tin trạng thái không được có tệp đính kèm.",
    "edxml_invalid:characters": "Phần tử {element} có ký tự không được phép trong XML.",
    "edxml_invalid:too_long": "Giá trị ở {element} quá dài (tối đa {limit} ký tự).",
    "edxml_invalid:type": "Giá trị ở {element} không đúng kiểu ({expected}).",
    "attachment_name_invalid": "Tên tệp đính kèm không hợp lệ: {value}.",
    "attachment_digest_mismatch": (
        "Tệp đính kèm {value} không khớp mã băm SHA-256 trong danh mục: tệp đã bị thay đổi."
    ),
    "attachment_missing:content": "Tệp đính kèm {value} có trong danh mục nhưng thiếu nội dung.",
    "attachment_missing:reference": "Tệp đính kèm {value} không có trong danh mục.",
}


class EdxmlError(Exception):
    """A package that cannot be built or read. ``code`` is stable (snake_case, for programs and
    for the API's error code); ``message`` is Vietnamese, for people; ``element`` names the
    element at fault when there is one."""

    def __init__(self, code: str, message: str, element: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.element = element


def _error(key: str, element: str = "", **params: Any) -> EdxmlError:
    code = key.partition(":")[0]
    if "value" in params:
        params["value"] = _shown(params["value"])
    return EdxmlError(code, MESSAGES[key].format(element=element, **params), element)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text[:80])
    return f"«{text}»" + ("…" if isinstance(value, str) and len(value) > 80 else "")


# ---------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class Organ:
    organ_id: str
    organ_name: str
    organ_add: str = ""
    email: str = ""
    telephone: str = ""
    website: str = ""


@dataclass(frozen=True)
class SignerInfo:
    competence: str = ""
    position: str = ""
    full_name: str = ""


@dataclass(frozen=True)
class ResponseFor:
    organ_id: str
    code: str
    promulgation_date: date
    document_id: str


@dataclass(frozen=True)
class Business:
    doc_type: int = 0  # 0 new, 1 revoke, 2 update, 3 replace
    reason: str = ""
    replaces_document_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageHeader:
    from_organ: Organ
    to_organs: tuple[Organ, ...]
    code_number: str
    code_notation: str
    promulgation_place: str
    promulgation_date: date
    document_type: int
    type_name: str
    subject: str
    content: str = ""
    signer: SignerInfo = field(default_factory=SignerInfo)
    due_date: date | None = None
    to_places: tuple[str, ...] = ()
    priority: int = 0
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: int = 1
    page_amount: int = 0
    appendixes: tuple[str, ...] = ()
    steering_type: int = 0
    document_id: str = ""  # "OrganId,yyyy/MM/dd,number/notation", see document_id_for
    response_for: ResponseFor | None = None
    business: Business = field(default_factory=Business)
    secrecy: int = 0  # edoc extension: 0 none, 1 Mật, 2 Tối mật, 3 Tuyệt mật
    urgency: int = 0  # edoc extension: 0 none, 1 Khẩn, 2 Thượng khẩn, 3 Hỏa tốc


@dataclass(frozen=True)
class TraceHeader:
    organ_id: str
    timestamp: datetime  # aware


@dataclass(frozen=True)
class Attachment:
    content_id: str
    name: str
    content_type: str
    data: bytes
    description: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Envelope:
    message_id: str  # a UUID (edoc extension element): identity for de-duplication
    header: MessageHeader
    attachments: tuple[Attachment, ...]
    traces: tuple[TraceHeader, ...] = ()
    signature: bytes | None = None  # DER detached CMS over signed_content(envelope)


@dataclass(frozen=True)
class StaffInfo:
    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""


@dataclass(frozen=True)
class StatusMessage:
    message_id: str  # the status's own id
    about_message_id: str  # the package it is about
    response_for: ResponseFor
    from_organ: Organ
    to_organ: Organ
    status_code: str  # a key of STATUS_LABELS
    description: str
    timestamp: datetime  # aware
    staff: StaffInfo = field(default_factory=StaffInfo)
    arrival_number: str = ""  # with 03
    traces: tuple[TraceHeader, ...] = ()
    signature: bytes | None = None


Message = Envelope | StatusMessage


# ---------------------------------------------------------------------------------------------
# Checks shared by build (we never send what we would refuse) and parse

ORGAN_ID = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
_CONTENT_ID = re.compile(r"[A-Za-z0-9!#$%&'*+\-./=?^_`{|}~@]{1,255}")
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]{1,127}/[A-Za-z0-9!#$&^_.+-]{1,127}")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def is_organ_id(value: str) -> bool:
    """True for an agency code shaped like ``000.00.00.H30``."""
    return isinstance(value, str) and ORGAN_ID.fullmatch(value) is not None


def _check_str(
    value: Any, element: str, *, required: bool = False, max_chars: int | None = None
) -> str:
    if not isinstance(value, str):
        raise _error("edxml_invalid:type", element, expected="str")
    if max_chars is not None and len(value) > max_chars:
        raise _error("edxml_invalid:too_long", element, limit=max_chars)
    if required and not value.strip():
        raise _error("edxml_invalid:empty", element)
    if _NOT_XML_CHAR.search(value):
        raise _error("edxml_invalid:characters", element)
    return value


def _check_int(value: Any, element: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _error("edxml_invalid:integer", element, low=low, high=high, value=value)
    return value


def _check_date(value: Any, element: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _error("edxml_invalid:type", element, expected="date")
    return value


def _check_instant(value: Any, element: str) -> datetime:
    if not isinstance(value, datetime):
        raise _error("edxml_invalid:type", element, expected="datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _error("edxml_invalid:naive_timestamp", element)
    return value


def _check_organ_id(value: Any, element: str) -> str:
    if not is_organ_id(value):
        raise _error("edxml_invalid:organ_id", element, value=value)
    return value


def _check_uuid(value: Any, element: str) -> str:
    try:
        canonical = str(uuid.UUID(value)) if isinstance(value, str) else ""
    except ValueError:
        canonical = ""
    if canonical != value:
        raise _error("edxml_invalid:uuid", element, value=value)
    return value


def _check_strings(values: Any, element: str) -> None:
    if not isinstance(values, tuple | list):
        raise _error("edxml_invalid:type", element, expected="tuple[str, ...]")
    for value in values:
        _check_str(value, element)


def check_attachment_name(name: Any) -> str:
    """A plain file name: no folder separator, not ``.`` or ``..``, nothing invisible; else
    ``attachment_name_invalid``. Without separators a name cannot climb out of a folder, so
    "Tờ trình...pdf" (an ellipsis, common in Vietnamese titles) is a valid name."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARS:
        raise _error("attachment_name_invalid", "AttachmentName", value=name)
    if name != name.strip() or "/" in name or "\\" in name or name in {".", ".."}:
        raise _error("attachment_name_invalid", "AttachmentName", value=name)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn") for c in name):
        raise _error("attachment_name_invalid", "AttachmentName", value=name)
    return name


def _check_organ(organ: Any, element: str) -> None:
    if not isinstance(organ, Organ):
        raise _error("edxml_invalid:type", element, expected="Organ")
    _check_organ_id(organ.organ_id, f"{element}/OrganId")
    _check_str(organ.organ_name, f"{element}/OrganName", required=True)
    for name, value in (
        ("OrganAdd", organ.organ_add),
        ("Email", organ.email),
        ("Telephone", organ.telephone),
        ("Website", organ.website),
    ):
        _check_str(value, f"{element}/{name}")


def _check_response_for(response: Any, element: str) -> None:
    if not isinstance(response, ResponseFor):
        raise _error("edxml_invalid:type", element, expected="ResponseFor")
    _check_organ_id(response.organ_id, f"{element}/OrganId")
    _check_str(response.code, f"{element}/Code", required=True, max_chars=MAX_CODE_CHARS)
    _check_date(response.promulgation_date, f"{element}/PromulgationDate")
    _check_str(response.document_id, f"{element}/DocumentId", max_chars=MAX_DOCUMENT_ID_CHARS)


def _check_traces(traces: Any) -> None:
    if not isinstance(traces, tuple | list):
        raise _error("edxml_invalid:type", "TraceHeaderList", expected="tuple[TraceHeader, ...]")
    for trace in traces:
        if not isinstance(trace, TraceHeader):
            raise _error("edxml_invalid:type", "TraceHeader", expected="TraceHeader")
        _check_organ_id(trace.organ_id, "TraceHeader/OrganId")
        _check_instant(trace.timestamp, "TraceHeader/Timestamp")


def _check_signature(signature: Any) -> None:
    if signature is not None and not isinstance(signature, bytes):
        raise _error("edxml_invalid:type", "Signature", expected="bytes")


def _check_header(h: Any) -> None:
    if not isinstance(h, MessageHeader):
        raise _error("edxml_invalid:type", "MessageHeader", expected="MessageHeader")
    _check_organ(h.from_organ, "From")
    if not isinstance(h.to_organs, tuple | list) or not h.to_organs:
        raise _error("edxml_invalid:missing", "To")
    for organ in h.to_organs:
        _check_organ(organ, "To")
    _check_str(h.code_number, "Code/CodeNumber", required=True)
    _check_str(h.code_notation, "Code/CodeNotation", required=True)
    if len(h.code_number) + 1 + len(h.code_notation) > MAX_CODE_CHARS:
        raise _error("edxml_invalid:too_long", "Code", limit=MAX_CODE_CHARS)
    _check_str(h.promulgation_place, "PromulgationInfo/Place", required=True)
    _check_date(h.promulgation_date, "PromulgationInfo/PromulgationDate")
    _check_int(h.document_type, "DocumentType/Type", 0, 999_999)
    _check_str(h.type_name, "DocumentType/TypeName", required=True)
    _check_str(h.subject, "Subject", required=True)
    _check_str(h.content, "Content")
    if not isinstance(h.signer, SignerInfo):
        raise _error("edxml_invalid:type", "SignerInfo", expected="SignerInfo")
    _check_str(h.signer.competence, "SignerInfo/Competence")
    _check_str(h.signer.position, "SignerInfo/Position")
    _check_str(h.signer.full_name, "SignerInfo/FullName")
    if h.due_date is not None:
        _check_date(h.due_date, "DueDate")
    _check_strings(h.to_places, "ToPlaces/Place")
    _check_int(h.priority, "OtherInfo/Priority", 0, 4)
    _check_str(h.sphere_of_promulgation, "OtherInfo/SphereOfPromulgation")
    _check_str(h.typer_notation, "OtherInfo/TyperNotation")
    _check_int(h.promulgation_amount, "OtherInfo/PromulgationAmount", 0, 999_999)
    _check_int(h.page_amount, "OtherInfo/PageAmount", 0, 999_999)
    _check_strings(h.appendixes, "OtherInfo/Appendixes/Appendix")
    _check_int(h.steering_type, "SteeringType", 0, 2)
    _check_str(h.document_id, "DocumentId", max_chars=MAX_DOCUMENT_ID_CHARS)
    if h.response_for is not None:
        _check_response_for(h.response_for, "ResponseFor")
    if not isinstance(h.business, Business):
        raise _error("edxml_invalid:type", "Bussiness", expected="Business")
    _check_int(h.business.doc_type, "Bussiness/BussinessDocType", 0, 3)
    _check_str(h.business.reason, "Bussiness/BussinessDocReason")
    _check_strings(h.business.replaces_document_ids, "ReplacementInfo/DocumentId")
    for replaced in h.business.replaces_document_ids:
        _check_str(replaced, "ReplacementInfo/DocumentId", max_chars=MAX_DOCUMENT_ID_CHARS)
    _check_int(h.secrecy, "edoc:Secrecy", 0, 3)
    _check_int(h.urgency, "edoc:Urgency", 0, 3)


def _check_attachments(attachments: Any) -> None:
    if not isinstance(attachments, tuple | list):
        raise _error("edxml_invalid:type", "edXMLManifest", expected="tuple[Attachment, ...]")
    seen: set[str] = set()
    for attachment in attachments:
        if not isinstance(attachment, Attachment):
            raise _error("edxml_invalid:type", "Reference", expected="Attachment")
        if not isinstance(attachment.content_id, str) or not _CONTENT_ID.fullmatch(
            attachment.content_id
        ):
            raise _error("edxml_invalid:content_id", "ContentId", value=attachment.content_id)
        if attachment.content_id in seen:
            raise _error(
                "edxml_invalid:content_id_repeated", "ContentId", value=attachment.content_id
            )
        seen.add(attachment.content_id)
        check_attachment_name(attachment.name)
        if not isinstance(attachment.content_type, str) or not _CONTENT_TYPE.fullmatch(
            attachment.content_type
        ):
            raise _error("edxml_invalid:content_type", "ContentType", value=attachment.content_type)
        _check_str(attachment.description, "Description")
        if not isinstance(attachment.data, bytes):
            raise _error("edxml_invalid:type", "ContentTransferEncoded", expected="bytes")


def _check_envelope(m: Envelope) -> None:
    _check_uuid(m.message_id, "edoc:MessageId")
    _check_header(m.header)
    _check_attachments(m.attachments)
    _check_traces(m.traces)
    _check_signature(m.signature)


def _check_status(m: StatusMessage) -> None:
    _check_uuid(m.message_id, "Status/edoc:MessageId")
    _check_uuid(m.about_message_id, "Status/edoc:AboutMessageId")
    _check_response_for(m.response_for, "Status/ResponseFor")
    _check_organ(m.from_organ, "Status/From")
    _check_organ(m.to_organ, "Status/To")
    if m.status_code not in STATUS_LABELS:
        raise _error("edxml_invalid:status_code", "Status/StatusCode", value=m.status_code)
    _check_str(m.description, "Status/Description")
    _check_instant(m.timestamp, "Status/Timestamp")
    if not isinstance(m.staff, StaffInfo):
        raise _error("edxml_invalid:type", "Status/StaffInfo", expected="StaffInfo")
    for name in ("department", "staff", "mobile", "email"):
        _check_str(getattr(m.staff, name), f"Status/StaffInfo/{name.capitalize()}")
    _check_str(m.arrival_number, "Status/edoc:ArrivalNumber", max_chars=MAX_ARRIVAL_NUMBER_CHARS)
    _check_traces(m.traces)
    _check_signature(m.signature)


def _check(message: Any) -> None:
    if isinstance(message, Envelope):
        _check_envelope(message)
    elif isinstance(message, StatusMessage):
        _check_status(message)
    else:
        raise TypeError(f"an Envelope or a StatusMessage, not {type(message).__name__}")


# ---------------------------------------------------------------------------------------------
# Text forms of values


def _date_text(value: date) -> str:
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def _instant_text(value: datetime) -> str:
    return value.isoformat()


_DATE = re.compile(r"(\d{4})/(\d{2})/(\d{2})")
_ISO_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
)
_LOCAL_INSTANT = re.compile(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}")
_INTEGER = re.compile(r"[0-9]{1,9}")


def _parse_date(text: str, element: str) -> date:
    match = _DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise _error("edxml_invalid:date", element, value=text) from None


def _parse_instant(text: str, element: str) -> datetime:
    try:
        if _ISO_INSTANT.fullmatch(text):
            return datetime.fromisoformat(text)
        if _LOCAL_INSTANT.fullmatch(text):
            return datetime.strptime(text, "%Y/%m/%d %H:%M:%S").replace(tzinfo=VIETNAM)
    except ValueError:
        pass
    raise _error("edxml_invalid:timestamp", element, value=text)


def _parse_int(text: str, element: str, low: int, high: int) -> int:
    if not _INTEGER.fullmatch(text):
        raise _error("edxml_invalid:integer", element, low=low, high=high, value=text)
    return _check_int(int(text), element, low, high)


def document_id_for(organ_id: str, issued: date, number_notation: str) -> str:
    """The standard's DocumentId: ``"000.00.00.H30,2026/12/01,125/QĐ-UBND"``."""
    _check_organ_id(organ_id, "DocumentId")
    _check_date(issued, "DocumentId")
    _check_str(number_notation, "DocumentId", required=True)
    return f"{organ_id},{_date_text(issued)},{number_notation}"


# ---------------------------------------------------------------------------------------------
# Building


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _x(name: str) -> str:
    return f"{{{EXT_NS}}}{name}"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _organ_xml(parent: etree._Element, tag: str, organ: Organ) -> None:
    element = _sub(parent, _q(tag))
    _sub(element, _q("OrganId"), organ.organ_id)
    _sub(element, _q("OrganName"), organ.organ_name)
    _sub(element, _q("OrganAdd"), organ.organ_add)
    _sub(element, _q("Email"), organ.email)
    _sub(element, _q("Telephone"), organ.telephone)
    _sub(element, _q("Website"), organ.website)


def _response_for_xml(parent: etree._Element, response: ResponseFor) -> None:
    element = _sub(parent, _q("ResponseFor"))
    _sub(element, _q("OrganId"), response.organ_id)
    _sub(element, _q("Code"), response.code)
    _sub(element, _q("PromulgationDate"), _date_text(response.promulgation_date))
    _sub(element, _q("DocumentId"), response.document_id)


def _traces_xml(parent: etree._Element, traces: Iterable[TraceHeader]) -> etree._Element:
    element = _sub(parent, _q("TraceHeaderList"))
    for trace in traces:
        item = _sub(element, _q("TraceHeader"))
        _sub(item, _q("OrganId"), trace.organ_id)
        _sub(item, _q("Timestamp"), _instant_text(trace.timestamp))
    return element


def _message_header_xml(parent: etree._Element, message_id: str, h: MessageHeader) -> None:
    element = _sub(parent, _q("MessageHeader"))
    _organ_xml(element, "From", h.from_organ)
    for organ in h.to_organs:
        _organ_xml(element, "To", organ)
    code = _sub(element, _q("Code"))
    _sub(code, _q("CodeNumber"), h.code_number)
    _sub(code, _q("CodeNotation"), h.code_notation)
    promulgation = _sub(element, _q("PromulgationInfo"))
    _sub(promulgation, _q("Place"), h.promulgation_place)
    _sub(promulgation, _q("PromulgationDate"), _date_text(h.promulgation_date))
    document_type = _sub(element, _q("DocumentType"))
    _sub(document_type, _q("Type"), str(h.document_type))
    _sub(document_type, _q("TypeName"), h.type_name)
    _sub(element, _q("Subject"), h.subject)
    _sub(element, _q("Content"), h.content)
    signer = _sub(element, _q("SignerInfo"))
    _sub(signer, _q("Competence"), h.signer.competence)
    _sub(signer, _q("Position"), h.signer.position)
    _sub(signer, _q("FullName"), h.signer.full_name)
    if h.due_date is not None:
        _sub(element, _q("DueDate"), _date_text(h.due_date))
    places = _sub(element, _q("ToPlaces"))
    for place in h.to_places:
        _sub(places, _q("Place"), place)
    other = _sub(element, _q("OtherInfo"))
    _sub(other, _q("Priority"), str(h.priority))
    _sub(other, _q("SphereOfPromulgation"), h.sphere_of_promulgation)
    _sub(other, _q("TyperNotation"), h.typer_notation)
    _sub(other, _q("PromulgationAmount"), str(h.promulgation_amount))
    _sub(other, _q("PageAmount"), str(h.page_amount))
    appendixes = _sub(other, _q("Appendixes"))
    for appendix in h.appendixes:
        _sub(appendixes, _q("Appendix"), appendix)
    if h.response_for is not None:
        _response_for_xml(element, h.response_for)
    _sub(element, _q("SteeringType"), str(h.steering_type))
    _sub(element, _q("DocumentId"), h.document_id)
    _sub(element, _x("MessageId"), message_id)
    _sub(element, _x("Secrecy"), str(h.secrecy))
    _sub(element, _x("Urgency"), str(h.urgency))


def _business_xml(parent: etree._Element, business: Business) -> None:
    element = _sub(parent, _q("Bussiness"))
    _sub(element, _q("BussinessDocType"), str(business.doc_type))
    _sub(element, _q("BussinessDocReason"), business.reason)
    replacements = _sub(element, _q("ReplacementInfoList"))
    for document_id in business.replaces_document_ids:
        _sub(_sub(replacements, _q("ReplacementInfo")), _q("DocumentId"), document_id)


def _status_xml(parent: etree._Element, m: StatusMessage) -> None:
    element = _sub(parent, _q("Status"))
    _response_for_xml(element, m.response_for)
    _organ_xml(element, "From", m.from_organ)
    _organ_xml(element, "To", m.to_organ)
    _sub(element, _q("StatusCode"), m.status_code)
    _sub(element, _q("Description"), m.description)
    _sub(element, _q("Timestamp"), _instant_text(m.timestamp))
    staff = _sub(element, _q("StaffInfo"))
    _sub(staff, _q("Department"), m.staff.department)
    _sub(staff, _q("Staff"), m.staff.staff)
    _sub(staff, _q("Mobile"), m.staff.mobile)
    _sub(staff, _q("Email"), m.staff.email)
    _sub(element, _x("MessageId"), m.message_id)
    _sub(element, _x("AboutMessageId"), m.about_message_id)
    _sub(element, _x("ArrivalNumber"), m.arrival_number)


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def build(message: Message) -> bytes:
    """The package as UTF-8 XML (lxml-written). Checks the values first, with the same checks
    parse makes, so that edoc never sends what an edoc would refuse (``EdxmlError``).

    lxml writes every element; the base64 of each attachment is put in its place afterwards
    (lxml writes a random marker there), so the base64 text is not held three times over (as a
    str, in lxml's tree and in lxml's output) but once, beside the output. Base64 needs no
    escaping, so the result is what lxml would have written."""
    _check(message)
    marker = f"edoc-attachment-{secrets.token_hex(16)}"
    root = etree.Element(
        _q("edXMLEnvelope"), nsmap={"edXML": NS, "edoc": EXT_NS, "xlink": XLINK_NS}
    )
    header = _sub(root, _q("edXMLHeader"))
    if isinstance(message, Envelope):
        _message_header_xml(header, message.message_id, message.header)
        traces = _traces_xml(header, message.traces)
        _business_xml(traces, message.header.business)
    else:
        _status_xml(header, message)
        _traces_xml(header, message.traces)
    if message.signature is not None:
        _sub(header, _q("Signature"), _b64(message.signature))
    body = _sub(root, _q("edXMLBody"))
    manifest = _sub(body, _q("edXMLManifest"))
    if isinstance(message, Envelope):
        for a in message.attachments:
            reference = etree.SubElement(
                manifest,
                _q("Reference"),
                {f"{{{XLINK_NS}}}href": f"cid:{a.content_id}", f"{{{XLINK_NS}}}type": "simple"},
            )
            _sub(reference, _q("ContentId"), a.content_id)
            _sub(reference, _q("AttachmentName"), a.name)
            _sub(reference, _q("ContentType"), a.content_type)
            _sub(reference, _q("Description"), a.description)
            _sub(reference, _x("Sha256"), a.sha256)
        if message.attachments:
            encoded = _sub(root, _q("AttachmentEncoded"))
            for a in message.attachments:
                item = _sub(encoded, _q("Attachment"))
                _sub(item, _q("ContentId"), a.content_id)
                _sub(item, _q("AttachmentName"), a.name)
                _sub(item, _q("ContentType"), a.content_type)
                _sub(item, _q("Description"), a.description)
                _sub(item, _q("ContentTransferEncoded"), marker)
    written = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    if not isinstance(message, Envelope) or not message.attachments:
        return written
    pieces = written.split(marker.encode("ascii"))
    assert len(pieces) == len(message.attachments) + 1
    del written
    parts = [pieces[0]]
    for a, after in zip(message.attachments, pieces[1:], strict=True):
        parts.append(binascii.b2a_base64(a.data, newline=False))
        parts.append(after)
    return b"".join(parts)


# ---------------------------------------------------------------------------------------------
# Reading: a small tree fed by lxml's parser, base64 streamed into a decoder


class _Base64Sink:
    """Strict base64, decoded as the parser hands the text over, hashed on the way.

    XML whitespace between characters is allowed (line-wrapped base64); anything else that is
    not base64, padding before the end, or a length that is not a multiple of four is refused.
    The last group is held back until the end because only it may carry padding."""

    _WHITESPACE = re.compile(r"[ \t\r\n]+")

    def __init__(self, element: str) -> None:
        self.element = element
        self.pending = ""
        self.chunks: list[bytes] = []
        self.digest = hashlib.sha256()
        self.size = 0

    def feed(self, text: str) -> None:
        if "\n" in text or " " in text or "\r" in text or "\t" in text:  # faster than a regex
            text = self._WHITESPACE.sub("", text)
        self.pending += text
        cut = (len(self.pending) // 4 - 1) * 4
        if cut > 0:
            self._decode(self.pending[:cut], final=False)
            self.pending = self.pending[cut:]

    def _decode(self, text: str, *, final: bool) -> None:
        try:
            if not final and "=" in text:
                raise ValueError("padding before the end")
            chunk = binascii.a2b_base64(text, strict_mode=True)
        except (binascii.Error, ValueError):
            raise _error("edxml_invalid:base64", self.element) from None
        self.chunks.append(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)

    def finish(self) -> tuple[bytes, str]:
        if self.pending:
            self._decode(self.pending, final=True)
            self.pending = ""
        data = b"".join(self.chunks)
        self.chunks = []
        return data, self.digest.hexdigest()


class _Node:
    __slots__ = ("children", "length", "parts", "sink", "tag")

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.children: list[_Node] = []
        self.parts: list[str] = []
        self.length = 0
        self.sink: _Base64Sink | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def name(self) -> str:
        if not self.tag.startswith("{"):
            return self.tag
        namespace, _, local = self.tag[1:].partition("}")
        return f"edoc:{local}" if namespace == EXT_NS else local


class _TreeBuilder:
    """The parser target: elements and their text, nothing else (no comments, PIs, tails).

    Its own limits stand in for those of libxml2's tree: at most ``MAX_ELEMENTS`` elements (a
    package of tiny empty elements would otherwise cost far more memory than its size) and
    ``MAX_TEXT_CHARS`` of text in any element but an attachment's content."""

    _STREAMED = (_q("Attachment"), _q("ContentTransferEncoded"))

    def __init__(self) -> None:
        self.stack: list[_Node] = []
        self.root: _Node | None = None
        self.count = 0

    def doctype(self, *_: object) -> None:
        raise _error("xml_forbidden")

    def start(self, tag: str, attrib: object) -> None:
        self.count += 1
        if self.count > MAX_ELEMENTS:
            raise _error("package_too_large:elements", limit=MAX_ELEMENTS)
        node = _Node(tag)
        if self.stack:
            parent = self.stack[-1]
            parent.children.append(node)
            if (parent.tag, tag) == self._STREAMED:
                node.sink = _Base64Sink("ContentTransferEncoded")
        elif self.root is None:
            self.root = node
        self.stack.append(node)

    def end(self, tag: str) -> None:
        self.stack.pop()

    def data(self, text: str) -> None:
        if self.stack:
            node = self.stack[-1]
            if node.sink is not None:
                node.sink.feed(text)
                return
            node.length += len(text)
            if node.length > MAX_TEXT_CHARS:
                raise _error("package_too_large:text", node.name, limit=MAX_TEXT_CHARS)
            node.parts.append(text)

    def close(self) -> _Node | None:
        return self.root


class _Reader:
    """Typed, strict access to the children of a node, with the path in every error."""

    def __init__(self, node: _Node, path: str) -> None:
        self.node = node
        self.path = path

    def _where(self, name: str) -> str:
        return f"{self.path}/{name}" if self.path else name

    def all(self, name: str) -> list[_Reader]:
        tag = _x(name[5:]) if name.startswith("edoc:") else _q(name)
        return [_Reader(c, self._where(name)) for c in self.node.children if c.tag == tag]

    def one(self, name: str) -> _Reader:
        found = self.maybe(name)
        if found is None:
            raise _error("edxml_invalid:missing", self._where(name))
        return found

    def maybe(self, name: str) -> _Reader | None:
        found = self.all(name)
        if len(found) > 1:
            raise _error("edxml_invalid:repeated", self._where(name))
        return found[0] if found else None

    def text(self, name: str, *, required: bool = False, default: str = "") -> str:
        found = self.maybe(name)
        if found is None:
            if required:
                raise _error("edxml_invalid:missing", self._where(name))
            return default
        value = found.node.text
        if required and not value.strip():
            raise _error("edxml_invalid:empty", self._where(name))
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        return tuple(r.node.text for r in self.all(name))

    def integer(self, name: str, low: int, high: int, default: int) -> int:
        value = self.text(name)
        return default if value == "" else _parse_int(value, self._where(name), low, high)

    def required_integer(self, name: str, low: int, high: int) -> int:
        return _parse_int(self.text(name, required=True), self._where(name), low, high)

    def date(self, name: str) -> date:
        return _parse_date(self.text(name, required=True), self._where(name))

    def optional_date(self, name: str) -> date | None:
        value = self.text(name)
        return None if value == "" else _parse_date(value, self._where(name))

    def instant(self, name: str) -> datetime:
        return _parse_instant(self.text(name, required=True), self._where(name))


_DECLARATION_ENCODING = re.compile(
    rb"\A(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]*)[\"']"
)
_STARTS_WITH_MARKUP = re.compile(rb"\A(?:\xef\xbb\xbf)?[ \t\r\n]*<")
_DECLARATION = re.compile(rb"<!(?!--|\[CDATA\[)")


def _screen(data: bytes, max_bytes: int) -> None:
    """Refusals made on the raw bytes, before any parser sees them."""
    if len(data) > max_bytes:
        raise _error("package_too_large", size=len(data), limit=max_bytes)
    if b"\x00" in data:
        # never in UTF-8 XML; in UTF-16/32 it would hide markup from the scan below
        raise _error("xml_forbidden:encoding")
    if not _STARTS_WITH_MARKUP.match(data):
        raise _error("xml_malformed", detail="không bắt đầu bằng một thẻ XML")
    declared = _DECLARATION_ENCODING.match(data)
    if declared and declared[1].lower() not in (b"utf-8", b"utf8"):
        raise _error("xml_forbidden:encoding")
    if _DECLARATION.search(data):
        raise _error("xml_forbidden")


def _tree(data: bytes) -> _Node:
    builder = _TreeBuilder()
    parser = etree.XMLParser(
        target=builder,
        encoding="utf-8",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
        recover=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _error("xml_malformed", detail=_shown(str(exc))) from None
    if root is None:
        raise _error("xml_malformed", detail="rỗng")
    return root


def _organ(r: _Reader) -> Organ:
    organ = Organ(
        organ_id=r.text("OrganId", required=True),
        organ_name=r.text("OrganName", required=True),
        organ_add=r.text("OrganAdd"),
        email=r.text("Email"),
        telephone=r.text("Telephone"),
        website=r.text("Website"),
    )
    _check_organ(organ, r.path)
    return organ


def _response_for(r: _Reader) -> ResponseFor:
    return ResponseFor(
        organ_id=r.text("OrganId", required=True),
        code=r.text("Code", required=True),
        promulgation_date=r.date("PromulgationDate"),
        document_id=r.text("DocumentId"),
    )


def _traces(header: _Reader) -> tuple[tuple[TraceHeader, ...], _Reader | None]:
    trace_list = header.maybe("TraceHeaderList")
    if trace_list is None:
        return (), None
    traces = tuple(
        TraceHeader(organ_id=t.text("OrganId", required=True), timestamp=t.instant("Timestamp"))
        for t in trace_list.all("TraceHeader")
    )
    return traces, trace_list


def _signature(header: _Reader) -> bytes | None:
    found = header.maybe("Signature")
    if found is None or not found.node.text.strip():
        return None
    sink = _Base64Sink(found.path)
    sink.feed(found.node.text)
    return sink.finish()[0]


def _business(trace_list: _Reader | None, message_header: _Reader) -> Business:
    places = [r for r in (trace_list, message_header) if r is not None]
    found = [b for r in places for b in r.all("Bussiness")]
    if len(found) > 1:
        raise _error("edxml_invalid:repeated", "Bussiness")
    if not found:
        return Business()
    b = found[0]
    replacements = b.maybe("ReplacementInfoList")
    ids = (
        tuple(r.text("DocumentId", required=True) for r in replacements.all("ReplacementInfo"))
        if replacements is not None
        else ()
    )
    return Business(
        doc_type=b.integer("BussinessDocType", 0, 3, 0),
        reason=b.text("BussinessDocReason"),
        replaces_document_ids=ids,
    )


def _message_header(r: _Reader, trace_list: _Reader | None) -> tuple[str, MessageHeader]:
    code = r.one("Code")
    promulgation = r.one("PromulgationInfo")
    document_type = r.one("DocumentType")
    signer = r.maybe("SignerInfo")
    places = r.maybe("ToPlaces")
    other = r.maybe("OtherInfo") or _Reader(_Node(_q("OtherInfo")), r._where("OtherInfo"))
    appendixes = other.maybe("Appendixes")
    response_for = r.maybe("ResponseFor")
    to_organs = tuple(_organ(t) for t in r.all("To"))
    if not to_organs:
        raise _error("edxml_invalid:missing", r._where("To"))
    header = MessageHeader(
        from_organ=_organ(r.one("From")),
        to_organs=to_organs,
        code_number=code.text("CodeNumber", required=True),
        code_notation=code.text("CodeNotation", required=True),
        promulgation_place=promulgation.text("Place", required=True),
        promulgation_date=promulgation.date("PromulgationDate"),
        document_type=document_type.required_integer("Type", 0, 999_999),
        type_name=document_type.text("TypeName", required=True),
        subject=r.text("Subject", required=True),
        content=r.text("Content"),
        signer=SignerInfo(
            competence=signer.text("Competence"),
            position=signer.text("Position"),
            full_name=signer.text("FullName"),
        )
        if signer is not None
        else SignerInfo(),
        due_date=r.optional_date("DueDate"),
        to_places=places.texts("Place") if places is not None else (),
        priority=other.integer("Priority", 0, 4, 0),
        sphere_of_promulgation=other.text("SphereOfPromulgation"),
        typer_notation=other.text("TyperNotation"),
        promulgation_amount=other.integer("PromulgationAmount", 0, 999_999, 1),
        page_amount=other.integer("PageAmount", 0, 999_999, 0),
        appendixes=appendixes.texts("Appendix") if appendixes is not None else (),
        steering_type=r.integer("SteeringType", 0, 2, 0),
        document_id=r.text("DocumentId"),
        response_for=_response_for(response_for) if response_for is not None else None,
        business=_business(trace_list, r),
        secrecy=r.integer("edoc:Secrecy", 0, 3, 0),
        urgency=r.integer("edoc:Urgency", 0, 3, 0),
    )
    return r.text("edoc:MessageId", required=True), header


def _attachments(manifest: _Reader | None, containers: Sequence[_Reader]) -> tuple[Attachment, ...]:
    encoded: dict[str, tuple[_Reader, _Base64Sink]] = {}
    for container in containers:
        for item in container.all("Attachment"):
            content_id = item.text("ContentId", required=True)
            if content_id in encoded:
                raise _error("edxml_invalid:content_id_repeated", "ContentId", value=content_id)
            sink = item.one("ContentTransferEncoded").node.sink
            assert sink is not None  # the tree builder gives every such element one
            encoded[content_id] = (item, sink)
    references = manifest.all("Reference") if manifest is not None else []
    attachments: list[Attachment] = []
    seen: set[str] = set()
    for reference in references:
        content_id = reference.text("ContentId", required=True)
        if content_id.startswith("cid:"):
            content_id = content_id[4:]
        if content_id in seen:
            raise _error("edxml_invalid:content_id_repeated", "ContentId", value=content_id)
        seen.add(content_id)
        name = check_attachment_name(reference.text("AttachmentName", required=True))
        content_type = reference.text("ContentType", required=True)
        description = reference.text("Description")
        expected = reference.text("edoc:Sha256", required=True)
        if not _SHA256_HEX.fullmatch(expected):
            raise _error("edxml_invalid:digest", reference._where("edoc:Sha256"), value=expected)
        if content_id not in encoded:
            raise _error("attachment_missing:content", value=content_id)
        item, sink = encoded.pop(content_id)
        for label, value in (
            ("AttachmentName", name),
            ("ContentType", content_type),
            ("Description", description),
        ):
            if item.maybe(label) is not None and item.text(label) != value:
                raise _error("edxml_invalid:attachment_disagrees", label, value=content_id)
        data, digest = sink.finish()
        if digest != expected:
            raise _error("attachment_digest_mismatch", "edoc:Sha256", value=name)
        attachments.append(Attachment(content_id, name, content_type, data, description))
    if encoded:
        raise _error("attachment_missing:reference", value=next(iter(encoded)))
    result = tuple(attachments)
    _check_attachments(result)
    return result


def _status(r: _Reader, traces: tuple[TraceHeader, ...], signature: bytes | None) -> StatusMessage:
    staff = r.maybe("StaffInfo")
    status_code = r.text("StatusCode", required=True)
    if status_code not in STATUS_LABELS:
        raise _error("edxml_invalid:status_code", r._where("StatusCode"), value=status_code)
    message = StatusMessage(
        message_id=r.text("edoc:MessageId", required=True),
        about_message_id=r.text("edoc:AboutMessageId", required=True),
        response_for=_response_for(r.one("ResponseFor")),
        from_organ=_organ(r.one("From")),
        to_organ=_organ(r.one("To")),
        status_code=status_code,
        description=r.text("Description"),
        timestamp=r.instant("Timestamp"),
        staff=StaffInfo(
            department=staff.text("Department"),
            staff=staff.text("Staff"),
            mobile=staff.text("Mobile"),
            email=staff.text("Email"),
        )
        if staff is not None
        else StaffInfo(),
        arrival_number=r.text("edoc:ArrivalNumber"),
        traces=traces,
        signature=signature,
    )
    _check_status(message)
    return message


def parse(data: bytes, *, max_bytes: int = MAX_PACKAGE_BYTES) -> Message:
    """Read a package from outside. Every refusal is an ``EdxmlError`` (see the module's
    docstring for the order of the checks); what comes back passed the same checks as build."""
    if not isinstance(data, bytes):
        raise TypeError("parse() reads bytes")
    _screen(data, max_bytes)
    top = _Reader(_tree(data), "")
    containers: list[_Reader] = []
    if top.node.tag == _q("edXML"):
        envelope = top.one("edXMLEnvelope")
        containers.extend(top.all("AttachmentEncoded"))
    elif top.node.tag == _q("edXMLEnvelope"):
        envelope = top
    else:
        raise _error("edxml_invalid:root", found=_shown(top.node.name))
    envelope.path = ""
    containers.extend(envelope.all("AttachmentEncoded"))
    header = envelope.one("edXMLHeader")
    message_header = header.maybe("MessageHeader")
    status = header.maybe("Status")
    if (message_header is None) == (status is None):
        raise _error("edxml_invalid:kind", "edXMLHeader")
    traces, trace_list = _traces(header)
    signature = _signature(header)
    body = envelope.maybe("edXMLBody")
    manifest = body.maybe("edXMLManifest") if body is not None else None
    if status is not None:
        if containers or (manifest is not None and manifest.all("Reference")):
            raise _error("edxml_invalid:status_attachments", "edXMLBody")
        return _status(status, traces, signature)
    assert message_header is not None
    message_id, message_header_value = _message_header(message_header, trace_list)
    message = Envelope(
        message_id=message_id,
        header=message_header_value,
        attachments=_attachments(manifest, containers),
        traces=traces,
        signature=signature,
    )
    _check_envelope(message)
    return message


# ---------------------------------------------------------------------------------------------
# What is signed, and copies


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def signed_content(message: Message) -> bytes:
    """The canonical bytes the agency key signs (see "What is signed" above)."""
    _check(message)
    if isinstance(message, Envelope):
        content: dict[str, Any] = {
            "edoc_signed_content": SIGNED_CONTENT_VERSION,
            "kind": "envelope",
            "message_id": message.message_id,
            "header": _plain(message.header),
            "attachments": [
                {
                    "content_id": a.content_id,
                    "name": a.name,
                    "content_type": a.content_type,
                    "description": a.description,
                    "size": len(a.data),
                    "sha256": a.sha256,
                }
                for a in message.attachments
            ],
        }
    else:
        content = {
            "edoc_signed_content": SIGNED_CONTENT_VERSION,
            "kind": "status",
            **{
                f.name: _plain(getattr(message, f.name))
                for f in dataclasses.fields(message)
                if f.name not in ("traces", "signature")
            },
        }
    return json.dumps(
        content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def with_signature(message: Message, signature: bytes) -> Message:
    """A copy carrying ``signature`` (DER detached CMS over ``signed_content(message)``)."""
    _check_signature(signature)
    return dataclasses.replace(message, signature=signature)


def with_trace(message: Message, trace: TraceHeader) -> Message:
    """A copy with one more TraceHeader at the end; the signature stays valid (traces are not
    signed)."""
    _check_traces((trace,))
    return dataclasses.replace(message, traces=(*message.traces, trace))


__all__ = [
    "EXT_NS",
    "MAX_PACKAGE_BYTES",
    "MESSAGES",
    "NS",
    "STATUS_LABELS",
    "Attachment",
    "Business",
    "EdxmlError",
    "Envelope",
    "Message",
    "MessageHeader",
    "Organ",
    "ResponseFor",
    "SignerInfo",
    "StaffInfo",
    "StatusMessage",
    "TraceHeader",
    "build",
    "check_attachment_name",
    "document_id_for",
    "is_organ_id",
    "parse",
    "signed_content",
    "with_signature",
    "with_trace",
]
