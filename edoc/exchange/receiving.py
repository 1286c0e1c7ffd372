"""Checking and processing what came in: the seal and the PDF's signatures verified with no
transaction open, then in one short transaction a new incoming document (01), a recall or
replacement (13), a status on the sender's timeline, or a hub's store and forward; a package
that breaks a rule is refused with 02 and the reason."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update

from edoc.blobs.service import blob_store, storage_errors
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.documents.files import CheckedFile, clean_filename
from edoc.documents.models import DocumentType
from edoc.exchange import edxml, keys, packages, peers
from edoc.exchange.attempts import DrainReport, guarded
from edoc.exchange.inbox import unverifiable
from edoc.exchange.models import (
    UNPINNED_SENDER,
    Direction,
    ExchangeMessage,
    MessageKind,
    MessageState,
    PeerKind,
)
from edoc.exchange.queueing import add_event, organ_id, queue_status, route_state, worker_operator
from edoc.incoming.intake import check_stored_pdf
from edoc.incoming.models import ReceivedVia
from edoc.incoming.services import IncomingFields, Source, mark_recalled, receive
from edoc.outgoing.sending import set_dispatch_status
from storage.base import BlobInfo

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


@dataclass
class Checked:
    ok: bool
    reason: str = ""
    verification: dict[str, Any] = field(default_factory=dict)
    files: list[CheckedFile] = field(default_factory=list)
    message: edxml.Envelope | edxml.StatusMessage | None = None


def check_one(pk: int, holder: str, report: DrainReport) -> None:
    guarded(pk, report, lambda: _check(pk, holder, report))


def _check(pk: int, holder: str, report: DrainReport) -> None:
    """Verify with no transaction open, then apply the result in one short transaction, only
    if this drain still holds the row (a lease that ran out during slow work may have let
    another drain check it too: one incoming document and one 01, never two).

    A package that breaks one of our rules (a file that is no PDF, an encrypted one, a date in
    the future, no register …) is refused with 02 and the reason, so it never blocks the queue;
    anything else unexpected propagates to ``guarded`` (back-off, then ``failed``)."""
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
    return None, unverifiable(message.from_organ)


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
                mark_recalled(old.document_id, reason, worker_operator())
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
        fields, main, worker_operator(), attachments, register_now=False, source=Source.EXCHANGE
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
    add_event(
        about,
        status.status_code,
        status.description,
        status_message_id=status.message_id,
        arrival_number=status.arrival_number,
        occurred_at=occurred,
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
    route_state(message)
