"""The inbox: who is calling (from the signed headers, before the body is read), the request's
signature, and the package taken in: parsed, its addressees and sender checked, its bytes stored
with one row per addressee served here, nothing when refused. The slow checks of the seal and
the PDF come later, in :mod:`edoc.exchange.receiving`."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from edoc.blobs.service import blob_store, storage_errors
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.exchange import edxml, keys, outbox, peers
from edoc.exchange.models import Direction, ExchangeMessage, MessageKind, MessageState, PeerKind
from edoc.exchange.queueing import organ_id
from storage.base import BlobInfo


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


def unverifiable(from_code: str) -> str:
    """Why a package from ``from_code`` cannot be verified here (no pinned certificate)."""
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
            raise AppError("unverifiable_sender", unverifiable(from_code), 422)
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
        if header.business.doc_type == outbox.RECALL:
            # what it is about is the document it recalls (edoc names its own DocumentId again,
            # another system may not); "" when it recalls several: it waits for every earlier
            # package of its sender (``outbox.claim_next``)
            recalled = set(header.business.replaces_document_ids) or {header.document_id}
            row.edxml_document_id = recalled.pop() if len(recalled) == 1 else ""
        row.subject = header.subject
    return row
