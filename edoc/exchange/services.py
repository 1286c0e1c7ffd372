"""What exchange does: queue packages with the changes they report, accept packages at the
inbox, check and process them, deliver with retries, and the operator's actions (retry, give
up, export, import). Every write to exchange records goes through here; pages, the API, the
CLI and the worker are thin callers.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from edoc.audit.services import Actor, Operator, record
from edoc.blobs.service import blob_store, storage_errors
from edoc.core.clock import utcnow
from edoc.core.errors import AppError, Conflict, NotFound, ValidationError
from edoc.core.extensions import db
from edoc.core.signals import document_event
from edoc.core.transactions import outside_transaction
from edoc.documents.files import CheckedFile, clean_filename
from edoc.documents.models import Document, DocumentType
from edoc.exchange import edxml, keys, outbox, packages, peers
from edoc.exchange.models import (
    UNPINNED_SENDER,
    Direction,
    ExchangeMessage,
    ExchangeStatusEvent,
    MessageKind,
    MessageState,
    PeerKind,
)
from edoc.exchange.transport import DeliveryFailed, HttpTransport, Transport
from edoc.incoming.intake import check_stored_pdf
from edoc.incoming.models import HandlingTask, ReceivedVia
from edoc.incoming.services import IncomingFields, Source, mark_recalled, receive
from edoc.outgoing.models import Dispatch, OutgoingDocument
from edoc.outgoing.sending import register_dispatch_status_labels, set_dispatch_status
from storage.base import BlobInfo

WORKER = "exchange.worker"
STATUS_LABELS = edxml.STATUS_LABELS
#: What the sender's dispatch list shows for each status from the recipient's system.
DISPATCH_STATUS_OF_CODE = {
    "01": "arrived",
    "02": "refused",
    "03": "accepted",
    "04": "assigned",
    "05": "in_progress",
    "06": "done",
    "13": "recalled",
}
DISPATCH_LABELS = {
    "queued": _l("Đang chờ gửi liên thông"),
    "held": _l("Chưa có đường gửi liên thông"),
    "failed": _l("Gửi liên thông thất bại"),
    "arrived": _l("Đã đến"),
    "refused": _l("Bị từ chối tiếp nhận"),
    "accepted": _l("Đã tiếp nhận"),
    "assigned": _l("Đã phân công"),
    "in_progress": _l("Đang xử lý"),
    "done": _l("Đã hoàn thành"),
}


def _worker() -> Operator:
    return Operator.task(WORKER)


def organ_id() -> str:
    return current_app.config["EDOC"].organ_id


# ---- queueing: in the transaction of the change ----------------------------------------------


def _route_state(message: ExchangeMessage) -> None:
    route = peers.route_for(message.to_organ)
    if route is None:
        message.state = MessageState.HELD
        message.hop = None
        message.last_error = _(
            "Chưa có đường gửi liên thông đến %(o)s: chưa khai báo hệ thống của cơ quan này "
            "hay trục liên thông (hub). Có thể xuất tệp .edxml để gửi, hoặc gói tin sẽ được gửi "
            "khi có cấu hình kết nối.",
            o=message.to_organ,
        )
    else:
        message.state = MessageState.PENDING
        message.hop = route.organ_code
        message.last_error = ""
    outbox.ask_for_drain()


def queue_document(
    document_id: int,
    to_organ: str,
    *,
    dispatch_id: int | None = None,
    business_type: int = 0,
    replaces_message_id: str | None = None,
) -> ExchangeMessage:
    """A document package to ``to_organ``, waiting for the worker (built and sealed there)."""
    document = db.session.get(Document, document_id)
    message = ExchangeMessage(
        message_id=packages.new_message_id(),
        direction=Direction.OUT,
        kind=MessageKind.DOCUMENT,
        business_type=business_type,
        from_organ=organ_id(),
        to_organ=to_organ,
        document_id=document_id,
        dispatch_id=dispatch_id,
        replaces_message_id=replaces_message_id,
        code=document.number_notation,
        promulgation_date=document.issued_date,
        subject=document.subject,
        state=MessageState.PENDING,
    )
    unsendable = _unsendable(to_organ)
    if document.issued_date and not unsendable:
        try:
            message.edxml_document_id = edxml.document_id_for(
                organ_id(), document.issued_date, document.number_notation
            )
        except edxml.EdxmlError as error:
            unsendable = _cannot_build(error)
    if unsendable:
        message.state = MessageState.FAILED
        message.last_error = unsendable
    else:
        _route_state(message)
    db.session.add(message)
    db.session.flush()
    if dispatch_id is not None and message.state in (MessageState.HELD, MessageState.FAILED):
        set_dispatch_status(dispatch_id, message.state, message.last_error)
    elif dispatch_id is not None and business_type == 0:
        set_dispatch_status(dispatch_id, "queued")
    return message


def _unsendable(to_organ: str) -> str:
    """Why no edXML package can name ``to_organ`` (a legacy directory code), or ""."""
    if edxml.is_organ_id(to_organ):
        return ""
    return _(
        "Không gửi liên thông được: mã cơ quan nhận %(o)s không đúng dạng mã định danh "
        "(000.00.00.H30). Cần sửa mã trong danh bạ rồi gửi lại, hoặc gửi bằng cách khác.",
        o=to_organ,
    )


def _cannot_build(error: edxml.EdxmlError) -> str:
    return _("Không lập được gói tin edXML: %(e)s", e=error.message)


def queue_status(
    about: ExchangeMessage,
    code: str,
    description: str = "",
    *,
    arrival_number: str = "",
    occurred_at: datetime | None = None,
) -> ExchangeMessage:
    """Status ``code`` about the package ``about`` back to its origin, and on its timeline."""
    message = ExchangeMessage(
        message_id=packages.new_message_id(),
        direction=Direction.OUT,
        kind=MessageKind.STATUS,
        from_organ=organ_id(),
        to_organ=about.from_organ,
        document_id=about.document_id,
        about_message_id=about.message_id,
        code=about.code,
        promulgation_date=about.promulgation_date,
        edxml_document_id=about.edxml_document_id,
        subject=about.subject,
        status_code=code,
        state=MessageState.PENDING,
    )
    _route_state(message)
    db.session.add(message)
    db.session.flush()
    db.session.add(
        ExchangeStatusEvent(
            message_pk=about.id,
            status_message_id=message.message_id,
            status_code=code,
            description=description,
            arrival_number=arrival_number,
            occurred_at=occurred_at or utcnow(),
        )
    )
    return message


def release_held() -> int:
    """Held packages whose organ now has a route (a peer or hub configured since) go out."""
    released = 0
    for message in db.session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.direction == Direction.OUT,
            ExchangeMessage.state == MessageState.HELD,
        )
    ):
        if peers.route_for(message.to_organ) is not None:
            _route_state(message)
            released += 1
    return released


# ---- following documents (document_event) -----------------------------------------------------


def _exchanged_incoming(document_id: int) -> ExchangeMessage | None:
    return db.session.scalar(
        select(ExchangeMessage)
        .where(
            ExchangeMessage.document_id == document_id,
            ExchangeMessage.direction == Direction.IN,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
            ExchangeMessage.state == MessageState.PROCESSED,
        )
        .order_by(ExchangeMessage.id.desc())
        .limit(1)
    )


def _already_told(message: ExchangeMessage, code: str) -> bool:
    return any(event.status_code == code for event in message.events)


def on_document_event(action: str, *, actor: Any, document_id: int, details: dict) -> None:
    """Sent statuses follow what happens here to a document that came by exchange, and a
    dispatch to another system queues its package; runs in the change's transaction."""
    if action == "outgoing.sent":
        if details.get("channel") == "edxml" and details.get("organ_code"):
            queue_document(
                document_id, details["organ_code"], dispatch_id=details.get("dispatch_id")
            )
        return
    if action == "outgoing.recalled":
        _queue_recall(document_id, details.get("reason", ""), details.get("replaced_by"))
        return
    if not action.startswith("incoming."):
        return
    message = _exchanged_incoming(document_id)
    if message is None:
        return
    if action == "incoming.registered":
        queue_status(message, "03", arrival_number=str(details.get("number") or ""))
    elif action == "incoming.routed" and not _already_told(message, "04"):
        queue_status(message, "04", details.get("direction") or "")
    elif action == "incoming.task_progress" and not _already_told(message, "05"):
        queue_status(message, "05", details.get("text") or "")
    elif action == "incoming.task_done":
        task = db.session.get(HandlingTask, details.get("task_id"))
        if task is not None and task.kind == "lead" and not _already_told(message, "06"):
            queue_status(message, "06", details.get("text") or "")
    elif action == "incoming.returned":
        queue_status(message, "02", details.get("reason") or "")


def _queue_recall(document_id: int, reason: str, replaced_by: int | None) -> None:
    """Business type 1 (revoke) — or 3 (replace), carrying the replacing document — to every
    system the document went to; a package that never left is given up instead."""
    sent = db.session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.document_id == document_id,
            ExchangeMessage.direction == Direction.OUT,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
            ExchangeMessage.business_type.in_((0, 2, 3)),
        )
    ).all()
    now = outbox.wall_clock()
    for original in sent:
        in_flight = original.claimed_until is not None and original.claimed_until > now
        never_left = original.state in (
            MessageState.PENDING,
            MessageState.FAILED,
            MessageState.HELD,
        )
        if never_left and not in_flight:
            # Nothing reached the recipient: stop it rather than send a revoke that could arrive
            # first (a failed original goes out of order) and a retry that would bring it back.
            original.state = MessageState.GIVEN_UP
            original.next_attempt_at = None
            original.last_error = _("Văn bản đã bị thu hồi trước khi gửi được: không gửi nữa.")
            if replaced_by:  # the recipient never had the old one: the new one goes as new
                queue_document(replaced_by, original.to_organ, dispatch_id=original.dispatch_id)
            continue
        queue_document(
            replaced_by or document_id,
            original.to_organ,
            dispatch_id=original.dispatch_id,
            business_type=3 if replaced_by else 1,
            replaces_message_id=original.message_id,
        )


# ---- the inbox --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    message_id: str
    already_received: bool


@dataclass(frozen=True)
class Caller:
    """Who a signed request says it comes from, and the certificate pinned for it, known from
    the request's headers alone: nothing of the body has been read yet."""

    organ: str
    timestamp: str
    signature: bytes
    certificate: str


def identify_caller(organ: str, timestamp: str, signature_b64: str) -> Caller:
    """The signed request's claimed sender (an active peer, member or hub), or a 401/403
    refusal, before the body is read: a stranger's body, however large, is never read.
    One short read of the peers, ended before returning."""
    if not (organ and timestamp and signature_b64):
        raise AppError("request_unsigned", _("Yêu cầu không có chữ ký của cơ quan gửi."), 401)
    if not keys.timestamp_fresh(timestamp):
        raise AppError(
            "stale_request", _("Thời điểm ký yêu cầu lệch quá 10 phút so với máy chủ."), 401
        )
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        raise AppError("bad_signature", _("Chữ ký yêu cầu không đọc được."), 401) from None
    certificate = peers.pinned_certificate(organ)
    db.session.rollback()  # read only; no transaction stays open while the body comes in
    if certificate is None:
        raise AppError(
            "unknown_organ", _("Cơ quan %(o)s chưa được khai báo kết nối.", o=organ), 403
        )
    return Caller(organ, timestamp, signature, certificate)


def check_request(caller: Caller, body: bytes) -> None:
    """The body is the one ``caller``'s pinned certificate signed (401 otherwise); the CMS
    check runs with no transaction open."""
    payload = keys.request_payload("POST", keys.INBOX_PATH, caller.timestamp, body)
    with outside_transaction():
        check = keys.verify_cms(payload, caller.signature, caller.certificate)
    if not check.ok:
        raise AppError("bad_signature", check.reason, 401)


def _edxml_refusal(error: edxml.EdxmlError) -> AppError:
    status = 413 if error.code == "package_too_large" else 422
    return AppError(error.code, error.message, status)


def _unverifiable(from_code: str) -> str:
    return _(
        "Không xác minh được cơ quan gửi %(o)s: cơ quan này chưa được khai báo kết nối nên "
        "không có chứng thư đã đăng ký để kiểm tra chữ ký gói tin.",
        o=from_code,
    )


def _check_sender(from_code: str, via: str | None, *, acts_on_others: bool) -> None:
    """The seal is tied to the ``From`` agency: a peer or member may bring only its own
    packages (its pinned certificate signs them); only a hub brings other agencies' (it checked
    their seals against its members' pinned certificates).

    A package brought by hand (``via`` None) from an agency not connected here — what files are
    for — may bring a new document: its seal must still verify against a trusted CA, and it
    waits unregistered for the clerk, who sees the signer. It may not act on what is already
    here (``acts_on_others``: a recall, a replacement, a status): nothing ties its key to the
    organ it names."""
    if via is None:
        if acts_on_others and peers.pinned_certificate(from_code) is None:
            raise AppError("unverifiable_sender", _unverifiable(from_code), 422)
        return
    hop = peers.peer(via)
    if hop is not None and hop.kind == PeerKind.HUB:
        return
    if from_code != via:
        raise AppError(
            "sender_mismatch",
            _(
                "Gói tin ghi cơ quan gửi là %(f)s nhưng do hệ thống của %(v)s chuyển đến: chỉ "
                "trục liên thông (hub) được chuyển gói tin của cơ quan khác.",
                f=from_code,
                v=via,
            ),
            422,
        )


def accept_package(data: bytes, *, via: str | None) -> Accepted:
    """Parse, check the addressees, store the bytes and one row per addressee served here
    (this installation, or each member behind this hub); nothing when refused.

    ``via``: the organ whose signed request brought it (None: a file imported by hand).
    The package's seal and PDF are checked later by the worker (slow)."""
    max_bytes = current_app.config["EDOC"].max_upload_mb * 1024 * 1024
    try:
        with outside_transaction():  # parsing a large package is slow: hold nothing meanwhile
            message = edxml.parse(data, max_bytes=max_bytes)
    except edxml.EdxmlError as error:
        raise _edxml_refusal(error) from None
    if isinstance(message, edxml.Envelope) and message.header.secrecy > 0:
        raise AppError(
            "secret_not_accepted",
            _(
                "Không tiếp nhận văn bản mật qua liên thông điện tử: văn bản mật được gửi bản "
                "giấy theo quy định về bảo vệ bí mật nhà nước."
            ),
            422,
        )
    if isinstance(message, edxml.StatusMessage):
        to_codes = [message.to_organ.organ_id]
        from_code = message.from_organ.organ_id
    else:
        to_codes = [o.organ_id for o in message.header.to_organs]
        from_code = message.header.from_organ.organ_id
    targets = _addressees_served_here(to_codes)
    acts_on_others = isinstance(message, edxml.StatusMessage) or (
        message.header.business.doc_type in (1, 3)
    )
    _check_sender(from_code, via, acts_on_others=acts_on_others)
    earlier = {
        (row.direction, row.to_organ): row
        for row in db.session.scalars(
            select(ExchangeMessage).where(ExchangeMessage.message_id == message.message_id)
        )
    }
    missing = [
        target
        for target in targets
        if target not in earlier or earlier[target].state == MessageState.REFUSED
    ]
    if not missing:
        return Accepted(message.message_id, True)
    refused_pks = {target: earlier[target].id for target in missing if target in earlier}
    with outside_transaction(), storage_errors():
        info = blob_store().put(io.BytesIO(data))
    taken_any = False
    for direction, to_code in missing:
        pk = refused_pks.get((direction, to_code))
        row = _take_refused(pk, via, info) if pk is not None else _new_row(message, via, info)
        if row is None:
            continue
        row.direction, row.from_organ, row.to_organ = direction, from_code, to_code
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:  # the same package, delivered twice at the same moment
            continue
        taken_any = True
    if not taken_any:
        return Accepted(message.message_id, True)
    outbox.ask_for_drain()
    return Accepted(message.message_id, False)


def _addressees_served_here(to_codes: list[str]) -> list[tuple[str, str]]:
    """(direction, organ) for each addressee this installation serves: itself (in) and, on a
    hub, each member named (forward; a package to several members goes to each of them)."""
    targets = [(Direction.IN, organ_id())] if organ_id() in to_codes else []
    targets += [
        (Direction.FORWARD, code)
        for code in dict.fromkeys(to_codes)
        if code != organ_id() and peers.is_member(code)
    ]
    if not targets:
        raise AppError(
            "wrong_recipient",
            _("Gói tin không gửi đến cơ quan này (%(o)s).", o=organ_id()),
            422,
        )
    return targets


def _take_refused(pk: int, via: str | None, info: BlobInfo) -> ExchangeMessage | None:
    """A copy refused earlier (tampered on the way, say) must not block the genuine package:
    the same row takes the new bytes and is checked again; its 02 stays on the timeline.
    One statement, so that of two repeats arriving together only one takes it."""
    taken = db.session.execute(
        update(ExchangeMessage)
        .where(ExchangeMessage.id == pk, ExchangeMessage.state == MessageState.REFUSED)
        .values(
            state=MessageState.RECEIVED,
            hop=via,
            package_sha256=info.sha256,
            package_size=info.size,
            verification=None,
            last_error="",
            claimed_by=None,
            claimed_until=None,
        )
    ).rowcount
    if not taken:
        return None
    return db.session.get(ExchangeMessage, pk, populate_existing=True)


def _new_row(
    message: edxml.Envelope | edxml.StatusMessage, via: str | None, info: BlobInfo
) -> ExchangeMessage:
    row = ExchangeMessage(
        message_id=message.message_id,
        hop=via,
        package_sha256=info.sha256,
        package_size=info.size,
        state=MessageState.RECEIVED,
    )
    if isinstance(message, edxml.StatusMessage):
        row.kind = MessageKind.STATUS
        row.status_code = message.status_code
        row.about_message_id = message.about_message_id
        row.code = message.response_for.code
        row.edxml_document_id = message.response_for.document_id
    else:
        header = message.header
        row.kind = MessageKind.DOCUMENT
        row.business_type = header.business.doc_type
        row.code = f"{header.code_number}/{header.code_notation}".strip("/")
        row.promulgation_date = header.promulgation_date
        row.edxml_document_id = header.document_id
        row.subject = header.subject
    return row


# ---- the worker -------------------------------------------------------------------------------


@dataclass
class DrainReport:
    checked: int = 0
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def default_transport() -> Transport:
    return HttpTransport(lambda body: keys.sign_request(body, organ_id()))


def drain(transport: Transport | None = None, limit: int = 500) -> DrainReport:
    """Check what came in, then deliver what is due, until nothing is left (or ``limit``).
    Commits; no transaction is open while packages are read, checked, signed or sent."""
    transport = transport or default_transport()
    report = DrainReport()
    if release_held():
        db.session.commit()
    holder = outbox.new_holder()
    for _round in range(limit):
        pk = outbox.claim_next(holder, to_check=True)
        if pk is None:
            break
        _check_one(pk, holder, report)
    for _round in range(limit):
        pk = outbox.claim_next(holder, to_check=False)
        if pk is None:
            break
        _deliver_one(pk, transport, report)
    return report


def _guarded(pk: int, report: DrainReport, work: Callable[[], None]) -> None:
    try:
        work()
    except Exception as error:  # tried again after back-off, then failed: others go on meanwhile
        db.session.rollback()
        current_app.logger.exception("exchange: message %s failed in the worker", pk)
        report.errors.append(f"{pk}: {type(error).__name__}: {error}")
        message = outbox.release(pk)
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        if message.attempts >= current_app.config["EDOC"].exchange_max_attempts:
            delivering = message.state == MessageState.PENDING
            message.state = MessageState.FAILED
            message.next_attempt_at = None
            if delivering:
                _forward_ended(message, message.last_error)
        else:
            message.next_attempt_at = outbox.wall_clock() + outbox.backoff(message.attempts)
        db.session.commit()


def _deliver_one(pk: int, transport: Transport, report: DrainReport) -> None:
    _guarded(pk, report, lambda: _deliver(pk, transport, report))


def _deliver(pk: int, transport: Transport, report: DrainReport) -> None:
    message = db.session.get(ExchangeMessage, pk)
    if message.package_sha256 is None:
        try:
            _build_package(message)
        except edxml.EdxmlError as error:  # retrying cannot help; the route goes on
            db.session.rollback()
            message = outbox.release(pk)
            message.state = MessageState.FAILED
            message.last_error = _cannot_build(error)
            message.next_attempt_at = None
            if message.dispatch_id and message.kind == MessageKind.DOCUMENT:
                set_dispatch_status(message.dispatch_id, "failed", message.last_error)
            report.failed += 1
            db.session.commit()
            return
        message = db.session.get(ExchangeMessage, pk)
    route = peers.route_for(message.to_organ)
    sha256, message_id = message.package_sha256, message.message_id
    db.session.commit()
    if route is None:
        message = outbox.release(pk)
        _route_state(message)
        db.session.commit()
        return
    try:
        with outside_transaction():
            transport.deliver(route, packages.read_blob(sha256), message_id)
    except DeliveryFailed as failure:
        message = outbox.release(pk)
        outbox.record_failure(message, failure.reason, failure.retryable)
        if message.direction == Direction.FORWARD:
            if message.state == MessageState.FAILED:
                _forward_ended(message, failure.reason)
        elif not failure.retryable:
            _refused_at_the_door(message, failure.reason)
        report.failed += 1
        db.session.commit()
        return
    message = outbox.release(pk)
    message.state = MessageState.DELIVERED
    message.delivered_at = utcnow()
    message.hop = route.organ_code
    message.last_error = ""
    message.next_attempt_at = None
    if message.dispatch_id and message.kind == MessageKind.DOCUMENT and not message.business_type:
        dispatch = db.session.get(Dispatch, message.dispatch_id)
        if dispatch is not None and dispatch.status in {"queued", "held", "failed"}:
            set_dispatch_status(message.dispatch_id, "sent")
    report.delivered += 1
    db.session.commit()


def _forward_ended(message: ExchangeMessage, reason: str) -> None:
    """A hub's forwarded document that will not reach its member (refused there, attempts run
    out, given up): the origin hears it as 02 with the reason, like any refusal."""
    forwarded = message.direction == Direction.FORWARD and message.kind == MessageKind.DOCUMENT
    if forwarded and not _already_told(message, "02"):
        queue_status(message, "02", reason)


def _refused_at_the_door(message: ExchangeMessage, reason: str) -> None:
    """A document refused by the receiving system's inbox (it kept nothing, so it sends no
    status package): its answer is this dispatch's 02."""
    if message.kind != MessageKind.DOCUMENT:
        return
    db.session.add(
        ExchangeStatusEvent(
            message_pk=message.id, status_code="02", description=reason, occurred_at=utcnow()
        )
    )
    if message.dispatch_id:
        set_dispatch_status(message.dispatch_id, "refused", reason)


def _build_package(message: ExchangeMessage) -> None:
    """Build, seal and store the package once; retries resend these exact bytes."""
    pk, message_id = message.id, message.message_id
    if message.kind == MessageKind.STATUS:
        unsigned: edxml.Envelope | edxml.StatusMessage = packages.status_plan(message)
        plan = None
    else:
        plan = packages.document_plan(message)
        unsigned = None  # type: ignore[assignment]
    db.session.commit()
    with outside_transaction():
        if plan is not None:
            unsigned = packages.build_document(message_id, plan)
            if plan.header.business.doc_type == 1:  # a revocation carries no document
                unsigned = edxml.Envelope(message_id, plan.header, ())
        sealed = keys.seal(unsigned)
        data = edxml.build(sealed)
        with storage_errors():
            info = blob_store().put(io.BytesIO(data))
    message = db.session.get(ExchangeMessage, pk)
    if isinstance(sealed, edxml.Envelope):
        message.edxml_document_id = sealed.header.document_id
    message.package_sha256 = info.sha256
    message.package_size = info.size
    db.session.commit()


# ---- checking and processing what came in ----------------------------------------------------


@dataclass
class Checked:
    ok: bool
    reason: str = ""
    verification: dict[str, Any] = field(default_factory=dict)
    files: list[CheckedFile] = field(default_factory=list)
    message: edxml.Envelope | edxml.StatusMessage | None = None


def _check_one(pk: int, holder: str, report: DrainReport) -> None:
    _guarded(pk, report, lambda: _check(pk, holder, report))


def _check(pk: int, holder: str, report: DrainReport) -> None:
    """Verify with no transaction open, then apply the result in one short transaction, only
    if this drain still holds the row (a lease that ran out during slow work may have let
    another drain check it too: one incoming document and one 01, never two).

    A package that breaks one of our rules (a file that is no PDF, an encrypted one, a date in
    the future, no register …) is refused with 02 and the reason, so it never blocks the queue;
    anything else unexpected propagates to ``_guarded`` (back-off, then ``failed``)."""
    message = db.session.get(ExchangeMessage, pk)
    sha256, direction, kind = message.package_sha256, message.direction, message.kind
    pinned, unverifiable = _seal_pin(message)
    # brought by hand and sealed by a key not pinned for its sender: the clerk must be told
    unpinned = direction == Direction.IN and message.hop is None and pinned is None
    db.session.commit()
    stored = None
    if unverifiable:
        checked = Checked(False, unverifiable, {"envelope": {"ok": False, "reason": unverifiable}})
    else:
        try:
            with outside_transaction():
                checked = _verify(
                    sha256, pinned, with_files=direction == Direction.IN and kind == "document"
                )
                if direction == Direction.FORWARD and checked.ok and checked.message is not None:
                    stored = _store_traced(checked.message)
        except AppError as error:
            if not _refusable(error):
                raise
            reason = error.message
            checked = Checked(False, reason, {"files": {"ok": False, "reason": reason}})
    if not _still_held(pk, holder):
        db.session.rollback()
        report.errors.append(f"{pk}: checked meanwhile by another worker; result dropped")
        return
    message = db.session.get(ExchangeMessage, pk)
    message.verification = checked.verification
    if unpinned:
        message.verification = {**checked.verification, UNPINNED_SENDER: True}
    report.checked += 1
    try:
        with db.session.begin_nested():
            if direction == Direction.FORWARD:
                _forward(message, checked, stored)
            elif kind == MessageKind.STATUS:
                _take_status(message, checked)
            else:
                _take_document(message, checked)
    except AppError as error:
        if not _refusable(error):
            raise
        message = db.session.get(ExchangeMessage, pk)
        _refuse(message, error.message)
    db.session.commit()


def _refusable(error: AppError) -> bool:
    """A rule the package breaks (4xx), as opposed to an outage or a fault here (5xx)."""
    return error.status < 500


def _still_held(pk: int, holder: str) -> bool:
    """End this drain's claim on a row it is checking, if it still has it (one statement: of
    two drains that both checked it, only one applies its result)."""
    return bool(
        db.session.execute(
            update(ExchangeMessage)
            .where(
                ExchangeMessage.id == pk,
                ExchangeMessage.claimed_by == holder,
                ExchangeMessage.state == MessageState.RECEIVED,
            )
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def _seal_pin(message: ExchangeMessage) -> tuple[str | None, str]:
    """The certificate the package's seal must be made with (None: any trusted one), or why
    it cannot be verified. A package a hub brought to this (member) installation may be sealed
    by an agency not pinned here (the hub checked it against its member's certificate), and so
    may a new document brought by hand (see :func:`_check_sender`). A hub forwarding always
    checks against its member's pinned certificate."""
    pinned = peers.pinned_certificate(message.from_organ)
    if pinned is not None:
        return pinned, ""
    hop = peers.peer(message.hop) if message.hop else None
    if message.direction == Direction.IN and hop is not None and hop.kind == PeerKind.HUB:
        return None, ""
    by_hand = message.direction == Direction.IN and message.hop is None
    if by_hand and message.kind == MessageKind.DOCUMENT and message.business_type in (0, 2):
        return None, ""  # a new document by file: any trusted seal, the clerk sees the signer
    return None, _unverifiable(message.from_organ)


def _verify(sha256: str, pinned: str | None, *, with_files: bool) -> Checked:
    data = packages.read_blob(sha256)
    try:
        message = edxml.parse(data)
    except edxml.EdxmlError as error:
        return Checked(False, error.message, {"envelope": {"ok": False, "reason": error.message}})
    seal = keys.verify_seal(message, pinned)
    verification: dict[str, Any] = {
        "envelope": {"ok": seal.ok, "signer": seal.signer, "reason": seal.reason}
    }
    if not seal.ok:
        return Checked(False, seal.reason, verification, message=message)
    if not with_files or not isinstance(message, edxml.Envelope):
        return Checked(True, "", verification, message=message)
    if message.header.business.doc_type == 1:  # a revocation carries no document
        return Checked(True, "", verification, message=message)
    if not message.attachments:
        reason = _("Gói tin không có tệp văn bản.")
        return Checked(False, reason, verification, message=message)
    files: list[CheckedFile] = []
    for index, attachment in enumerate(message.attachments):
        name = clean_filename(attachment.name) or f"tep-{index}"
        with storage_errors():
            info = blob_store().put(io.BytesIO(attachment.data))
        is_pdf = attachment.data.startswith(b"%PDF")
        if index == 0 or is_pdf:
            checked = check_stored_pdf(info.sha256, name, validate_signatures=True, size=info.size)
        else:
            checked = CheckedFile(name, attachment.content_type, info.sha256, info.size)
        files.append(checked)
    verdict = files[0].signature_verdict
    verification["pdf"] = {"verdict": verdict, "signer": files[0].signer_name()}
    if verdict != "ok":
        reason = _("Chữ ký số trên văn bản (PDF) không hợp lệ (%(v)s).", v=verdict)
        return Checked(False, reason, verification, files, message)
    return Checked(True, "", verification, files, message)


def _refuse(message: ExchangeMessage, reason: str) -> None:
    message.state = MessageState.REFUSED
    message.last_error = reason
    if message.kind == MessageKind.DOCUMENT:
        queue_status(message, "02", reason)


def _take_document(message: ExchangeMessage, checked: Checked) -> None:
    if not checked.ok or not isinstance(checked.message, edxml.Envelope):
        _refuse(message, checked.reason)
        return
    envelope = checked.message
    header = envelope.header
    business = header.business
    if business.doc_type in (1, 3):
        replaced_ids = business.replaces_document_ids or (header.document_id,)
        old = db.session.scalar(
            select(ExchangeMessage)
            .where(
                ExchangeMessage.direction == Direction.IN,
                ExchangeMessage.kind == MessageKind.DOCUMENT,
                ExchangeMessage.from_organ == message.from_organ,
                ExchangeMessage.edxml_document_id.in_(replaced_ids),
                ExchangeMessage.state == MessageState.PROCESSED,
                ExchangeMessage.id != message.id,
            )
            .order_by(ExchangeMessage.id)
            .limit(1)
        )
        if old is not None:
            message.replaces_message_id = old.message_id
            if old.document_id is not None:
                if business.doc_type == 3:
                    reason = _(
                        "Nơi gửi đã thay thế văn bản này bằng văn bản %(c)s.", c=message.code
                    )
                    if business.reason:
                        reason = f"{reason} {business.reason}"
                else:
                    reason = business.reason or _("Nơi gửi thu hồi văn bản.")
                mark_recalled(old.document_id, reason, _worker())
            queue_status(old, "13", business.reason)
        if business.doc_type == 1:
            message.state = MessageState.PROCESSED
            if old is None:
                message.state = MessageState.HELD
                message.last_error = _("Không tìm thấy văn bản bị thu hồi.")
            return
    fields = _fields_from(header)
    main, *attachments = checked.files
    incoming = receive(
        fields, main, _worker(), attachments, register_now=False, source=Source.EXCHANGE
    )
    message.document_id = incoming.document_id
    message.state = MessageState.PROCESSED
    queue_status(message, "01")


def _fields_from(header: edxml.MessageHeader) -> IncomingFields:
    number_notation = f"{header.code_number}/{header.code_notation}".strip("/")
    doc_type = db.session.scalar(
        select(DocumentType.code).where(DocumentType.name == header.type_name)
    ) or db.session.scalar(
        select(DocumentType.code).where(DocumentType.code == header.code_notation.split("-")[0])
    )
    return IncomingFields(
        sender_org=header.from_organ.organ_name or header.from_organ.organ_id,
        number_notation=number_notation,
        doc_type=doc_type or "CV",
        subject=header.subject,
        received_via=ReceivedVia.ELECTRONIC,
        issued_date=header.promulgation_date,
        signer_name=header.signer.full_name,
        signer_title=header.signer.position,
        urgency=header.urgency if header.urgency in range(4) else 0,
        secrecy=header.secrecy if header.secrecy in range(4) else 0,
        page_count=header.page_amount or None,
        note=_("Nhận qua liên thông (edXML) từ %(o)s.", o=header.from_organ.organ_id),
    )


def _take_status(message: ExchangeMessage, checked: Checked) -> None:
    status = checked.message
    if not checked.ok or not isinstance(status, edxml.StatusMessage):
        message.state = MessageState.REFUSED
        message.last_error = checked.reason
        return
    about = db.session.scalar(
        select(ExchangeMessage).where(
            ExchangeMessage.message_id == status.about_message_id,
            ExchangeMessage.direction == Direction.OUT,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
        )
    )
    if about is None:
        message.state = MessageState.HELD
        message.last_error = _(
            "Trạng thái %(c)s về gói tin %(m)s không khớp văn bản nào đã gửi.",
            c=status.status_code,
            m=status.about_message_id,
        )
        return
    # the recipient's system, or the hub it went through refusing it on the member's behalf
    if status.from_organ.organ_id not in {about.to_organ, about.hop}:
        message.state = MessageState.REFUSED
        message.last_error = _(
            "Trạng thái %(c)s về gói tin %(m)s do %(f)s gửi, nhưng gói tin đó gửi đến %(t)s.",
            c=status.status_code,
            m=status.about_message_id,
            f=status.from_organ.organ_id,
            t=about.to_organ,
        )
        return
    occurred = status.timestamp.astimezone(UTC).replace(tzinfo=None)
    db.session.add(
        ExchangeStatusEvent(
            message_pk=about.id,
            status_message_id=status.message_id,
            status_code=status.status_code,
            description=status.description,
            arrival_number=status.arrival_number,
            occurred_at=occurred,
        )
    )
    message.document_id = about.document_id
    message.state = MessageState.PROCESSED
    if about.dispatch_id and status.status_code in DISPATCH_STATUS_OF_CODE:
        note = status.description if status.status_code == "02" else None
        set_dispatch_status(about.dispatch_id, DISPATCH_STATUS_OF_CODE[status.status_code], note)


def _store_traced(message: edxml.Envelope | edxml.StatusMessage) -> BlobInfo:
    """The package with this hub's TraceHeader appended, stored (slow: no transaction)."""
    traced = edxml.with_trace(
        message, edxml.TraceHeader(organ_id(), datetime.now(UTC).replace(microsecond=0))
    )
    with storage_errors():
        return blob_store().put(io.BytesIO(edxml.build(traced)))


def _forward(message: ExchangeMessage, checked: Checked, stored: BlobInfo | None) -> None:
    """A hub's store and forward: checked against the origin's pinned certificate, a trace
    appended, queued to the member in order (or 02 back to the origin when broken)."""
    if not checked.ok or checked.message is None or stored is None:
        message.state = MessageState.REFUSED
        message.last_error = checked.reason
        if message.kind == MessageKind.DOCUMENT:
            queue_status(message, "02", checked.reason)
        return
    message.package_sha256 = stored.sha256
    message.package_size = stored.size
    _route_state(message)


# ---- the operator's actions -------------------------------------------------------------------


def get_message(message_id: str, direction: str | None = None) -> ExchangeMessage:
    """The first row recorded of package ``message_id`` (in ``direction`` when given): to
    show a package, whose page leads to its other rows. Never to act on one: a package naming
    several addressees is one row per addressee, so ``sent_message`` picks the row to act on."""
    query = select(ExchangeMessage).where(ExchangeMessage.message_id == message_id)
    if direction:
        query = query.where(ExchangeMessage.direction == direction)
    message = db.session.scalar(query.order_by(ExchangeMessage.id).limit(1))
    if message is None:
        raise NotFound("message_not_found", _("Không tìm thấy gói tin %(m)s.", m=message_id))
    return message


def imported_message(message_id: str) -> ExchangeMessage:
    """The row to show for a package just imported: the one addressed to this installation,
    else (a hub importing for its members) the first of those it forwards."""
    received = db.session.scalar(
        select(ExchangeMessage.id).where(
            ExchangeMessage.message_id == message_id, ExchangeMessage.direction == Direction.IN
        )
    )
    return get_message(message_id, Direction.IN if received else None)


def sent_message(message_id: str, to_organ: str | None = None) -> ExchangeMessage:
    """The row of package ``message_id`` this installation sends (out) or forwards to
    ``to_organ``, for the operator's retry and give-up. A hub keeps one forward row per
    addressee (and may hold the package as received too): without ``to_organ`` the package
    must have one such row, otherwise it is refused naming the addressees, so that an action
    never lands on a row the operator did not mean."""
    query = select(ExchangeMessage).where(
        ExchangeMessage.message_id == message_id,
        ExchangeMessage.direction.in_((Direction.OUT, Direction.FORWARD)),
    )
    if to_organ:
        query = query.where(ExchangeMessage.to_organ == to_organ)
    rows = list(db.session.scalars(query.order_by(ExchangeMessage.id)))
    if not rows:
        raise NotFound(
            "message_not_found",
            _("Không tìm thấy gói tin %(m)s gửi đi hoặc chuyển tiếp.", m=message_id)
            if not to_organ
            else _(
                "Không tìm thấy gói tin %(m)s gửi đi hoặc chuyển tiếp tới %(to)s.",
                m=message_id,
                to=to_organ,
            ),
        )
    if len(rows) > 1:
        addressees = sorted({row.to_organ for row in rows})
        raise Conflict(
            "message_ambiguous",
            _(
                "Gói tin %(m)s có nhiều nơi nhận: %(to)s. Hãy chọn một nơi nhận (--to).",
                m=message_id,
                to=", ".join(addressees),
            ),
        )
    return rows[0]


def retry(message: ExchangeMessage, actor: Actor) -> ExchangeMessage:
    """Send a failed (or waiting, held or exported) package again now, by its route."""
    if message.direction not in (Direction.OUT, Direction.FORWARD) or message.state not in (
        MessageState.FAILED,
        MessageState.PENDING,
        MessageState.HELD,
        MessageState.EXPORTED,
    ):
        raise AppError("not_retryable", _("Gói tin này không thể gửi lại."), 409)
    message.next_attempt_at = None
    if message.state == MessageState.FAILED:
        message.attempts = 0
    _route_state(message)
    record(
        "exchange.retried",
        actor=actor,
        object_type="exchange_message",
        object_id=message.id,
        message_id=message.message_id,
    )
    return message


def retry_all_failed(actor: Actor) -> int:
    failed = db.session.scalars(
        select(ExchangeMessage).where(
            ExchangeMessage.state.in_((MessageState.FAILED, MessageState.PENDING)),
            ExchangeMessage.direction.in_((Direction.OUT, Direction.FORWARD)),
        )
    ).all()
    for message in failed:
        retry(message, actor)
    return len(failed)


def give_up(message: ExchangeMessage, reason: str, actor: Actor) -> ExchangeMessage:
    if not reason.strip():
        raise ValidationError("reason_required", _("Cần nêu lý do ngừng gửi."))
    if message.state not in (MessageState.FAILED, MessageState.PENDING, MessageState.HELD):
        raise AppError("not_pending", _("Gói tin này không còn chờ gửi."), 409)
    message.state = MessageState.GIVEN_UP
    message.last_error = reason.strip()
    message.next_attempt_at = None
    _forward_ended(message, reason.strip())
    record(
        "exchange.given_up",
        actor=actor,
        object_type="exchange_message",
        object_id=message.id,
        message_id=message.message_id,
        reason=reason.strip(),
    )
    return message


@dataclass(frozen=True)
class QueueLine:
    hop: str
    pending: int
    failed: int
    held: int
    oldest: datetime | None
    last_error: str


def queue_report() -> list[QueueLine]:
    """Per next hop: waiting, failed and held packages, the oldest, the last error."""
    rows = db.session.execute(
        select(
            func.coalesce(ExchangeMessage.hop, ExchangeMessage.to_organ),
            ExchangeMessage.state,
            func.count(),
            func.min(ExchangeMessage.created_at),
        )
        .where(
            ExchangeMessage.state.in_(
                (MessageState.PENDING, MessageState.FAILED, MessageState.HELD)
            )
        )
        .group_by(
            func.coalesce(ExchangeMessage.hop, ExchangeMessage.to_organ), ExchangeMessage.state
        )
    ).all()
    lines: dict[str, dict[str, Any]] = {}
    for hop, state, count, oldest in rows:
        line = lines.setdefault(hop, {"pending": 0, "failed": 0, "held": 0, "oldest": None})
        line[state] = count
        line["oldest"] = min(filter(None, [line["oldest"], oldest]), default=None)
    result = []
    for hop, line in sorted(lines.items()):
        error = db.session.scalar(
            select(ExchangeMessage.last_error)
            .where(
                func.coalesce(ExchangeMessage.hop, ExchangeMessage.to_organ) == hop,
                ExchangeMessage.last_error != "",
            )
            .order_by(ExchangeMessage.id.desc())
            .limit(1)
        )
        result.append(
            QueueLine(
                hop, line["pending"], line["failed"], line["held"], line["oldest"], error or ""
            )
        )
    return result


def timeline(dispatch_id: int) -> list[ExchangeStatusEvent]:
    """The statuses the recipient's system sent about one dispatch, oldest first."""
    return list(
        db.session.scalars(
            select(ExchangeStatusEvent)
            .join(ExchangeMessage, ExchangeMessage.id == ExchangeStatusEvent.message_pk)
            .where(ExchangeMessage.dispatch_id == dispatch_id)
            .order_by(ExchangeStatusEvent.occurred_at, ExchangeStatusEvent.id)
        )
    )


def messages_for_document(document_id: int) -> list[ExchangeMessage]:
    return list(
        db.session.scalars(
            select(ExchangeMessage)
            .where(ExchangeMessage.document_id == document_id)
            .order_by(ExchangeMessage.id)
        )
    )


# ---- files ------------------------------------------------------------------------------------


def export_package(document_id: int, to_organ: str, actor: Actor) -> bytes:
    """The sealed package of the document sent to ``to_organ`` (the one already built for the
    dispatch when there is one, else a new one recorded as an outgoing message). Commits."""
    outgoing = db.session.get(OutgoingDocument, document_id)
    if outgoing is None:
        raise NotFound("document_not_found", _("Không tìm thấy văn bản đi."))
    if outgoing.document.secrecy > 0:
        raise AppError(
            "secret_not_exchangeable",
            _("Văn bản mật không được xuất thành gói tin liên thông."),
            422,
        )
    message = db.session.scalar(
        select(ExchangeMessage)
        .where(
            ExchangeMessage.document_id == document_id,
            ExchangeMessage.to_organ == to_organ,
            ExchangeMessage.direction == Direction.OUT,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
            ExchangeMessage.business_type == 0,
        )
        .order_by(ExchangeMessage.id.desc())
        .limit(1)
    )
    if message is None:
        message = queue_document(document_id, to_organ)
        # Not held: release_held() would send it over a route configured later, beside the file.
        message.state = MessageState.EXPORTED
        message.hop = None
        message.last_error = ""
        db.session.flush()
    if message.package_sha256 is None:
        try:
            _build_package(message)
        except edxml.EdxmlError as error:
            raise ValidationError("package_unbuildable", _cannot_build(error)) from None
        message = db.session.get(ExchangeMessage, message.id)
    record(
        "exchange.exported",
        actor=actor,
        object_type="exchange_message",
        object_id=message.id,
        message_id=message.message_id,
        to_organ=to_organ,
    )
    sha256 = message.package_sha256
    db.session.commit()
    return packages.read_blob(sha256)


def import_package(data: bytes, actor: Actor) -> Accepted:
    """A package brought by hand: the same processing as the inbox, minus the request
    signature; the operator is recorded. Commits, then checks it at once."""
    accepted = accept_package(data, via=None)
    record(
        "exchange.imported",
        actor=actor,
        object_type="exchange_message",
        object_id=accepted.message_id,
        already_received=accepted.already_received,
    )
    db.session.commit()
    return accepted


def init_listeners() -> None:
    document_event.connect(_on_event, weak=False)
    register_dispatch_status_labels(DISPATCH_LABELS)


def _on_event(sender: str, **kwargs: Any) -> None:
    on_document_event(sender, **kwargs)
