"""Checking and processing what came in, in two steps.

Verifying (:func:`verify_one`): the seal and the PDF's signatures checked with no transaction
open (a hub also stores its traced copy), the verdict kept on the row (``verified``). Slow
(seconds a package) and changing nothing else, so packages — a sender's later ones too — are
verified at the same time by as many drains as run.

Applying (:func:`apply_one`): one short transaction from the kept verdict, in the order the
packages were received from each sender (``outbox.claim_next(Step.APPLY)``): a new incoming
document (01), a recall or replacement (13), a status on the sender's timeline, or a hub's
store and forward; a package that breaks a rule is refused with 02 and the reason."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from edoc.blobs.service import blob_store, storage_errors
from edoc.core import leases
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.documents.files import CheckedFile, clean_filename
from edoc.documents.models import DocumentType
from edoc.exchange import edxml, keys, outbox, packages, peers
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
class Verdict:
    """What the checks of one package found and everything applying it needs, kept on its row
    (``ExchangeMessage.verdict``, JSON) from its check until its turn to be applied: applying
    reads no blob and parses nothing, so the in-order step stays short.

    ``facts``: what the package says that applying uses (:func:`_document_facts`,
    :func:`_status_facts`); ``files``: its files as checked and stored (documents);
    ``traced``: a hub's copy with its trace appended (``sha256``, ``size``)."""

    ok: bool
    reason: str = ""
    verification: dict[str, Any] = field(default_factory=dict)
    files: list[CheckedFile] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    traced: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "files": [asdict(checked) for checked in self.files],
            "facts": self.facts,
            "traced": self.traced,
        }

    @staticmethod
    def blobs_of(data: dict[str, Any]) -> set[str]:
        """The blobs a kept verdict refers to (its files, a hub's traced copy): nothing else
        does until it is applied, so ``edoc gc`` must keep them (:mod:`.retention`)."""
        found = {checked["sha256"] for checked in data.get("files") or ()}
        traced = data.get("traced")
        return found | {traced["sha256"]} if traced else found

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verdict:
        return cls(
            ok=data["ok"],
            reason=data["reason"],
            files=[CheckedFile(**checked) for checked in data["files"]],
            facts=data["facts"],
            traced=data["traced"],
        )


def verify_one(pk: int, holder: str, report: DrainReport) -> None:
    guarded(pk, holder, MessageState.RECEIVED, report, lambda: _verify_package(pk, holder, report))


def apply_one(pk: int, holder: str, report: DrainReport) -> None:
    guarded(pk, holder, MessageState.VERIFIED, report, lambda: _apply(pk, holder, report))


def _verify_package(pk: int, holder: str, report: DrainReport) -> None:
    """The slow half: verify with no transaction open (for a hub, store the traced copy too),
    then record the verdict in one statement, only if this drain still holds the row (a lease
    that ran out during slow work may have let another drain check it too: one verdict is
    kept, the other dropped). Changes nothing else: the verdict is applied later, in order
    (:func:`_apply`), so checks of one sender's packages may run at the same time.

    A package that breaks one of our rules (a file that is no PDF, an encrypted one …) gets a
    verdict that refuses it; anything else unexpected propagates to ``guarded`` (back-off,
    then ``failed``, recorded only if this drain still holds the row)."""
    message = db.session.get(ExchangeMessage, pk)
    sha256, direction, kind = message.package_sha256, message.direction, message.kind
    pinned, unverifiable = _seal_pin(message)
    # brought by hand and sealed by a key not pinned for its sender: the clerk must be told
    unpinned = direction == Direction.IN and message.hop is None and pinned is None
    db.session.commit()
    if unverifiable:
        verdict = Verdict(False, unverifiable, {"envelope": {"ok": False, "reason": unverifiable}})
    else:
        try:
            with outside_transaction(), outbox.kept_alive(pk, holder):
                verdict = _verify(
                    sha256,
                    pinned,
                    with_files=direction == Direction.IN and kind == MessageKind.DOCUMENT,
                    forward=direction == Direction.FORWARD,
                )
        except AppError as error:
            if not _refusable(error):
                raise
            reason = error.message
            verdict = Verdict(False, reason, {"files": {"ok": False, "reason": reason}})
    verification = verdict.verification
    if unpinned:
        verification = {**verification, UNPINNED_SENDER: True}
    recorded = leases.release(
        ExchangeMessage,
        holder,
        ExchangeMessage.id == pk,
        ExchangeMessage.state == MessageState.RECEIVED,
        state=MessageState.VERIFIED,
        verification=verification,
        verdict=verdict.to_json(),
    )
    db.session.commit()
    if not recorded:
        report.errors.append(f"{pk}: checked meanwhile by another worker; result dropped")
        return
    report.checked += 1


def _apply(pk: int, holder: str, report: DrainReport) -> None:
    """The in-order half, one short transaction: a new incoming document (01), a recall or
    replacement (13), a status on the sender's timeline, a hub's forward queued, or a refusal
    (02), from the verdict kept on the row. ``outbox.claim_next(Step.APPLY)`` gave this row
    only once every earlier package of its sender was applied; the lease is ended in the same
    transaction, only if this drain still holds it (of two drains, one applies it)."""
    if not _still_held(pk, holder):
        db.session.rollback()
        report.errors.append(f"{pk}: applied meanwhile by another worker; skipped")
        return
    message = db.session.get(ExchangeMessage, pk)
    verdict = Verdict.from_json(message.verdict or {})
    message.verdict = None
    try:
        with db.session.begin_nested():
            if message.direction == Direction.FORWARD:
                _forward(message, verdict)
            elif message.kind == MessageKind.STATUS:
                _take_status(message, verdict)
            else:
                _take_document(message, verdict)
    except AppError as error:
        if not _refusable(error):
            raise
        message = db.session.get(ExchangeMessage, pk)
        _refuse(message, error.message)
    db.session.commit()
    report.applied += 1


def _refusable(error: AppError) -> bool:
    """A rule the package breaks (4xx), as opposed to an outage or a fault here (5xx)."""
    return error.status < 500


def _still_held(pk: int, holder: str) -> bool:
    """End this drain's claim on a verified row it is applying, if it still has it (one
    statement, in the applying transaction: of two drains that claimed it, one applies it)."""
    return leases.release(
        ExchangeMessage,
        holder,
        ExchangeMessage.id == pk,
        ExchangeMessage.state == MessageState.VERIFIED,
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


def _verify(sha256: str, pinned: str | None, *, with_files: bool, forward: bool) -> Verdict:
    """Parse, check the seal against ``pinned`` (None: any trusted certificate), store and
    validate the files (``with_files``), store a hub's traced copy (``forward``). Slow: no
    transaction is open."""
    data = packages.read_blob(sha256)
    try:
        message = edxml.parse(data)
    except edxml.EdxmlError as error:
        return Verdict(False, error.message, {"envelope": {"ok": False, "reason": error.message}})
    seal = keys.verify_seal(message, pinned)
    verification: dict[str, Any] = {
        "envelope": {"ok": seal.ok, "signer": seal.signer, "reason": seal.reason}
    }
    facts = _facts(message)
    if not seal.ok:
        return Verdict(False, seal.reason, verification, facts=facts)
    if forward:
        traced = _store_traced(message)
        return Verdict(True, "", verification, facts=facts, traced=traced)
    if not with_files or not isinstance(message, edxml.Envelope):
        return Verdict(True, "", verification, facts=facts)
    if message.header.business.doc_type == 1:  # a revocation carries no document
        return Verdict(True, "", verification, facts=facts)
    if not message.attachments:
        reason = _("Gói tin không có tệp văn bản.")
        return Verdict(False, reason, verification, facts=facts)
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
        return Verdict(False, reason, verification, files, facts)
    return Verdict(True, "", verification, files, facts)


def _facts(message: edxml.Envelope | edxml.StatusMessage) -> dict[str, Any]:
    if isinstance(message, edxml.StatusMessage):
        return _status_facts(message)
    return _document_facts(message.header)


def _document_facts(header: edxml.MessageHeader) -> dict[str, Any]:
    """What applying a document package uses of its header (JSON: kept on the row)."""
    business = header.business
    return {
        "kind": MessageKind.DOCUMENT.value,
        "business_type": business.doc_type,
        "business_reason": business.reason,
        "replaces": list(business.replaces_document_ids or (header.document_id,)),
        "from_organ": header.from_organ.organ_id,
        "from_name": header.from_organ.organ_name,
        "code_number": header.code_number,
        "code_notation": header.code_notation,
        "type_name": header.type_name,
        "subject": header.subject,
        "promulgation_date": header.promulgation_date.isoformat(),
        "signer_name": header.signer.full_name,
        "signer_title": header.signer.position,
        "urgency": header.urgency,
        "secrecy": header.secrecy,
        "page_amount": header.page_amount,
    }


def _status_facts(status: edxml.StatusMessage) -> dict[str, Any]:
    """What applying a status package uses of it (JSON: kept on the row)."""
    return {
        "kind": MessageKind.STATUS.value,
        "message_id": status.message_id,
        "about_message_id": status.about_message_id,
        "from_organ": status.from_organ.organ_id,
        "status_code": status.status_code,
        "description": status.description,
        "arrival_number": status.arrival_number,
        "occurred_at": status.timestamp.astimezone(UTC).replace(tzinfo=None).isoformat(),
    }


def _refuse(message: ExchangeMessage, reason: str) -> None:
    message.state = MessageState.REFUSED
    message.last_error = reason
    if message.kind == MessageKind.DOCUMENT:
        queue_status(message, "02", reason)


def _take_document(message: ExchangeMessage, verdict: Verdict) -> None:
    facts = verdict.facts
    if not verdict.ok or facts.get("kind") != MessageKind.DOCUMENT:
        _refuse(message, verdict.reason)
        return
    business_type = facts["business_type"]
    if business_type in (1, 3):
        old = db.session.scalar(
            select(ExchangeMessage)
            .where(
                ExchangeMessage.direction == Direction.IN,
                ExchangeMessage.kind == MessageKind.DOCUMENT,
                ExchangeMessage.from_organ == message.from_organ,
                ExchangeMessage.edxml_document_id.in_(facts["replaces"]),
                ExchangeMessage.state == MessageState.PROCESSED,
                ExchangeMessage.id != message.id,
            )
            .order_by(ExchangeMessage.id)
            .limit(1)
        )
        if old is not None:
            message.replaces_message_id = old.message_id
            if old.document_id is not None:
                if business_type == 3:
                    reason = _(
                        "Nơi gửi đã thay thế văn bản này bằng văn bản %(c)s.", c=message.code
                    )
                    if facts["business_reason"]:
                        reason = f"{reason} {facts['business_reason']}"
                else:
                    reason = facts["business_reason"] or _("Nơi gửi thu hồi văn bản.")
                mark_recalled(old.document_id, reason, worker_operator())
            queue_status(old, "13", facts["business_reason"])
        if business_type == 1:
            message.state = MessageState.PROCESSED
            if old is None:
                message.state = MessageState.HELD
                message.last_error = _("Không tìm thấy văn bản bị thu hồi.")
            return
    main, *attachments = verdict.files
    incoming = receive(
        _fields_from(facts),
        main,
        worker_operator(),
        attachments,
        register_now=False,
        source=Source.EXCHANGE,
    )
    message.document_id = incoming.document_id
    message.state = MessageState.PROCESSED
    queue_status(message, "01")


def _fields_from(facts: dict[str, Any]) -> IncomingFields:
    number_notation = f"{facts['code_number']}/{facts['code_notation']}".strip("/")
    doc_type = db.session.scalar(
        select(DocumentType.code).where(DocumentType.name == facts["type_name"])
    ) or db.session.scalar(
        select(DocumentType.code).where(DocumentType.code == facts["code_notation"].split("-")[0])
    )
    return IncomingFields(
        sender_org=facts["from_name"] or facts["from_organ"],
        number_notation=number_notation,
        doc_type=doc_type or "CV",
        subject=facts["subject"],
        received_via=ReceivedVia.ELECTRONIC,
        issued_date=date.fromisoformat(facts["promulgation_date"]),
        signer_name=facts["signer_name"],
        signer_title=facts["signer_title"],
        urgency=facts["urgency"] if facts["urgency"] in range(4) else 0,
        secrecy=facts["secrecy"] if facts["secrecy"] in range(4) else 0,
        page_count=facts["page_amount"] or None,
        note=_("Nhận qua liên thông (edXML) từ %(o)s.", o=facts["from_organ"]),
    )


def _take_status(message: ExchangeMessage, verdict: Verdict) -> None:
    status = verdict.facts
    if not verdict.ok or status.get("kind") != MessageKind.STATUS:
        message.state = MessageState.REFUSED
        message.last_error = verdict.reason
        return
    about = db.session.scalar(
        select(ExchangeMessage).where(
            ExchangeMessage.message_id == status["about_message_id"],
            ExchangeMessage.direction == Direction.OUT,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
        )
    )
    if about is None:
        message.state = MessageState.HELD
        message.last_error = _(
            "Trạng thái %(c)s về gói tin %(m)s không khớp văn bản nào đã gửi.",
            c=status["status_code"],
            m=status["about_message_id"],
        )
        return
    # the recipient's system, or the hub it went through refusing it on the member's behalf
    if status["from_organ"] not in {about.to_organ, about.hop}:
        message.state = MessageState.REFUSED
        message.last_error = _(
            "Trạng thái %(c)s về gói tin %(m)s do %(f)s gửi, nhưng gói tin đó gửi đến %(t)s.",
            c=status["status_code"],
            m=status["about_message_id"],
            f=status["from_organ"],
            t=about.to_organ,
        )
        return
    code = status["status_code"]
    add_event(
        about,
        code,
        status["description"],
        status_message_id=status["message_id"],
        arrival_number=status["arrival_number"],
        occurred_at=datetime.fromisoformat(status["occurred_at"]),
    )
    message.document_id = about.document_id
    message.state = MessageState.PROCESSED
    if about.dispatch_id and code in DISPATCH_STATUS_OF_CODE:
        note = status["description"] if code == "02" else None
        set_dispatch_status(about.dispatch_id, DISPATCH_STATUS_OF_CODE[code], note)


def _store_traced(message: edxml.Envelope | edxml.StatusMessage) -> dict[str, Any]:
    """The package with this hub's TraceHeader appended, stored (slow: no transaction)."""
    traced = edxml.with_trace(
        message, edxml.TraceHeader(organ_id(), datetime.now(UTC).replace(microsecond=0))
    )
    with storage_errors():
        stored = blob_store().put(io.BytesIO(edxml.build(traced)))
    return {"sha256": stored.sha256, "size": stored.size}


def _forward(message: ExchangeMessage, verdict: Verdict) -> None:
    """A hub's store and forward: checked against the origin's pinned certificate, a trace
    appended, queued to the member in order (or 02 back to the origin when broken)."""
    if not verdict.ok or verdict.traced is None:
        message.state = MessageState.REFUSED
        message.last_error = verdict.reason
        if message.kind == MessageKind.DOCUMENT:
            queue_status(message, "02", verdict.reason)
        return
    message.package_sha256 = verdict.traced["sha256"]
    message.package_size = verdict.traced["size"]
    route_state(message)
