"""Receiving, registering, returning, presenting, routing and handling incoming documents.

Order matters for "lose nothing, leave nothing half-done": files are checked and stored in the
blob store first (content-addressed, so a retry stores nothing twice); only then does one
database transaction create the rows, take the arrival number and write the audit entry.
A failure before the commit leaves at most an unreferenced blob, which ``edoc fsck`` reports.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from edoc.audit.services import Actor, Operator
from edoc.core.clock import local_day_end_utc, local_day_start_utc, local_today, to_local, utcnow
from edoc.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationError
from edoc.core.extensions import db
from edoc.documents import files, records
from edoc.documents.access import get_visible_document, visible
from edoc.documents.listing import ListFilter, filtered, one_page
from edoc.documents.models import Direction, Document, DocumentType, Register
from edoc.documents.numbering import next_number
from edoc.incoming.models import (
    HandlingNote,
    HandlingTask,
    IncomingDocument,
    IncomingStatus,
    ReceivedVia,
    Routing,
)
from edoc.users.models import Clearance, Role, Unit, User


@dataclass
class IncomingFields:
    """What the clerk confirms when receiving a document (names as in the API)."""

    sender_org: str
    number_notation: str
    doc_type: str
    subject: str
    received_via: str
    issued_date: date | None = None
    signer_name: str = ""
    urgency: int = 0
    secrecy: int = 0
    page_count: int | None = None
    received_at: datetime | None = None
    recipient: str = ""
    note: str = ""
    signer_title: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        errors: dict[str, str] = {}
        if not self.sender_org.strip():
            errors["sender_org"] = _("Cần nhập cơ quan gửi.")
        if not self.subject.strip():
            errors["subject"] = _("Cần nhập trích yếu nội dung.")
        if self.received_via not in {v.value for v in ReceivedVia}:
            errors["received_via"] = _("Hình thức nhận phải là 'paper' hoặc 'electronic'.")
        if db.session.get(DocumentType, self.doc_type) is None:
            errors["doc_type"] = _("Loại văn bản không hợp lệ: %(t)s.", t=self.doc_type)
        if self.urgency not in range(4):
            errors["urgency"] = _("Độ khẩn không hợp lệ.")
        if self.secrecy not in range(4):
            errors["secrecy"] = _("Độ mật không hợp lệ.")
        if self.page_count is not None and self.page_count < 1:
            errors["page_count"] = _("Số trang phải lớn hơn 0.")
        if self.issued_date and self.issued_date > local_today():
            errors["issued_date"] = _("Ngày văn bản không thể ở tương lai.")
        if errors:
            raise ValidationError(
                "invalid_fields", _("Thông tin văn bản chưa hợp lệ."), details=errors
            )


def register_for(secrecy: int) -> Register:
    """Secret documents have their own register (ND30); everything else shares one."""
    register = db.session.scalar(
        select(Register).where(
            Register.direction == Direction.INCOMING,
            Register.secret.is_(secrecy > 0),
            Register.active.is_(True),
        )
    )
    if register is None:
        raise AppError("register_missing", _("Chưa cấu hình sổ văn bản đến phù hợp."), status=500)
    return register


class Source(enum.StrEnum):
    """How a document reached this installation (recorded in its audit entry)."""

    UPLOAD = "upload"  # the clerk's upload (web page, API, the demo)
    DISPATCH = "dispatch"  # sent by an agency served by this installation
    PACKAGE = "package"  # an archive package (``edoc import-package``)
    EXCHANGE = "exchange"  # an edXML package from another agency's system (``exchange``)
    INTEGRATION = "integration"  # another system's call (``POST /api/v1/integrations/documents``)
    LEGACY = "legacy"  # an old system's register (``edoc import-legacy``)


@dataclass(frozen=True)
class RecordedArrival:
    """An arrival numbered before it reached this installation (an archive package): the
    number and status are kept as they were, and the register's counter is left alone."""

    number: int | None
    status: IncomingStatus = IncomingStatus.DONE


@dataclass
class Receipt:
    """One document brought in by :func:`receive_many`: its particulars, its checked and stored
    files, its arrival number when it was numbered elsewhere, and what its ``incoming.received``
    entry records besides (where a migrated row came from)."""

    fields: IncomingFields
    main: files.CheckedFile
    attachments: list[files.CheckedFile] = field(default_factory=list)
    recorded_arrival: RecordedArrival | None = None
    provenance: dict[str, Any] = field(default_factory=dict)


def receive(
    fields: IncomingFields,
    main: files.CheckedFile,
    actor: Actor,
    attachments: list[files.CheckedFile] | None = None,
    register_now: bool = True,
    *,
    source: Source = Source.UPLOAD,
    recorded_arrival: RecordedArrival | None = None,
) -> IncomingDocument:
    """Create an incoming document from checked, stored files: the only way one is created.

    Whoever brings a document in (the clerk's upload, a dispatch between agencies of this
    installation, a package import, the demo) comes through here, so each gets the same field
    checks, the same signature rule and the same audit entry. Electronic documents must come
    with the report of this installation's own signature check (``files.check_pdf``); those
    whose signatures do not all check out are held unnumbered (status ``received``) so the
    clerk can return them to the sender; everything else is registered at once when
    ``register_now``. ``actor`` is the clerk, or the Operator of a command (a package import).
    Flushes; the caller commits (a dispatch to several agencies, a package of many documents
    are each one transaction).
    """
    receipt = Receipt(fields, main, list(attachments or []), recorded_arrival)
    return receive_many([receipt], actor, register_now=register_now, source=source)[0]


def receive_many(
    receipts: list[Receipt],
    actor: Actor,
    *,
    register_now: bool = True,
    source: Source = Source.UPLOAD,
) -> list[IncomingDocument]:
    """:func:`receive` for several documents at once, with the same checks and entries.

    Why: a migration brings in hundreds of thousands of rows; done one by one, each costs a
    flush, a register lookup, an arrival-number query and an append to the audit chain.
    Here every check runs first (nothing is added to the session if one fails: the caller
    sees the error and may retry the documents one by one to name the one refused), then one
    flush writes every row and one append to the chain writes an ``incoming.received`` entry
    per document, in order. Flushes; the caller commits.
    """
    user = actor.on_behalf_of if isinstance(actor, Operator) else actor
    if not isinstance(user, User | None):
        raise TypeError("an incoming document is received by a user or a command's Operator")
    registers: dict[bool, Register] = {}
    planned: list[tuple[Receipt, Register, datetime]] = []
    for receipt in receipts:
        fields, main = receipt.fields, receipt.main
        fields.validate()
        if user is not None and fields.secrecy > user.clearance:
            raise Forbidden(
                "clearance_too_low", _("Bạn không được phép tiếp nhận văn bản có độ mật này.")
            )
        if fields.received_via == ReceivedVia.ELECTRONIC and main.signature_verdict is None:
            raise RuntimeError("an electronic document needs the report of its signature check")
        secret = fields.secrecy > 0
        if secret not in registers:
            registers[secret] = register_for(fields.secrecy)
        planned.append((receipt, registers[secret], fields.received_at or utcnow()))
    _check_recorded_arrivals(planned)
    received: list[IncomingDocument] = []
    for receipt, register, received_at in planned:
        fields, main = receipt.fields, receipt.main
        document = records.new_document(
            Direction.INCOMING,
            IncomingStatus.RECEIVED,
            number_notation=fields.number_notation.strip(),
            doc_type_code=fields.doc_type,
            subject=fields.subject.strip(),
            issued_date=fields.issued_date,
            issuer_org=fields.sender_org.strip(),
            signer_name=fields.signer_name.strip() or main.signer_name(),
            signer_title=fields.signer_title.strip(),
            urgency=fields.urgency,
            secrecy=fields.secrecy,
            page_count=fields.page_count or main.page_count,
            created_by_id=user.id if user is not None else None,
        )
        records.add_file(document, "main", main)
        for attachment in receipt.attachments:
            records.add_file(document, "attachment", attachment)
        incoming = IncomingDocument(
            document=document,
            register_id=register.id,
            received_at=received_at,
            received_via=fields.received_via,
            recipient=fields.recipient.strip(),
            note=fields.note.strip(),
        )
        arrival = receipt.recorded_arrival
        if arrival is not None:  # numbered before it reached this installation: kept as it was
            incoming.arrival_year = to_local(received_at).year
            incoming.arrival_number = arrival.number
            document.status = arrival.status
        db.session.add(incoming)
        received.append(incoming)
    db.session.flush()
    records.audit_many(
        [
            (
                "incoming.received",
                incoming.document_id,
                {
                    "sha256": receipt.main.sha256,
                    "via": receipt.fields.received_via,
                    "source": source.value,
                    "signatures": receipt.main.signature_verdict,
                    "secrecy": receipt.fields.secrecy,
                    "arrival_number": incoming.arrival_number,
                    **receipt.provenance,
                },
            )
            for receipt, incoming in zip(receipts, received, strict=True)
        ],
        actor,
    )
    for receipt, incoming in zip(receipts, received, strict=True):
        main = receipt.main
        hold = (
            receipt.fields.received_via == ReceivedVia.ELECTRONIC and main.signature_verdict != "ok"
        )
        if receipt.recorded_arrival is None and register_now and not hold:
            _assign_arrival_number(incoming, actor)
    return received


def _check_recorded_arrivals(planned: list[tuple[Receipt, Register, datetime]]) -> None:
    """Refuse (409) an arrival number recorded elsewhere that the register's year already
    holds here, or that two of these documents share: one query whatever their number."""
    wanted = [
        (register.id, to_local(received_at).year, receipt.recorded_arrival.number)
        for receipt, register, received_at in planned
        if receipt.recorded_arrival is not None and receipt.recorded_arrival.number is not None
    ]
    taken = arrivals_taken(wanted)
    seen: set[tuple[int | None, int, int]] = set()
    for entry in wanted:
        if entry in taken or entry in seen:
            raise Conflict(
                "arrival_number_taken",
                _("Số đến %(n)s năm %(y)s đã có trong sổ.", n=entry[2], y=entry[1]),
            )
        seen.add(entry)


def arrival_taken(register_id: int, year: int, number: int) -> int | None:
    """The document holding this arrival number of the register's year, if any."""
    return db.session.scalar(
        select(IncomingDocument.document_id).where(
            IncomingDocument.register_id == register_id,
            IncomingDocument.arrival_year == year,
            IncomingDocument.arrival_number == number,
        )
    )


def arrivals_taken(
    wanted: list[tuple[int | None, int, int]],
) -> dict[tuple[int | None, int, int], int]:
    """Which of these (register, year, arrival number) edoc already holds, and by which
    document: one query (a superset by register, years and numbers, matched exactly here)."""
    wanted = [entry for entry in wanted if entry[0] is not None]
    if not wanted:
        return {}
    found = db.session.execute(
        select(
            IncomingDocument.register_id,
            IncomingDocument.arrival_year,
            IncomingDocument.arrival_number,
            IncomingDocument.document_id,
        ).where(
            IncomingDocument.register_id.in_({entry[0] for entry in wanted}),
            IncomingDocument.arrival_year.in_({entry[1] for entry in wanted}),
            IncomingDocument.arrival_number.in_({entry[2] for entry in wanted}),
        )
    )
    exact = set(wanted)
    return {
        (register_id, year, number): document_id
        for register_id, year, number, document_id in found
        if (register_id, year, number) in exact
    }


def _assign_arrival_number(incoming: IncomingDocument, actor: Actor) -> None:
    year = to_local(incoming.received_at).year
    incoming.arrival_year = year
    incoming.arrival_number = next_number(incoming.register_id, year)
    incoming.registered_at = utcnow()
    incoming.document.status = IncomingStatus.REGISTERED
    records.audit(
        "incoming.registered",
        actor,
        incoming.document_id,
        register_id=incoming.register_id,
        year=year,
        number=incoming.arrival_number,
    )


def get_incoming(document_id: int, user: User) -> IncomingDocument:
    get_visible_document(document_id, user)
    incoming = db.session.get(IncomingDocument, document_id)
    if incoming is None:
        raise NotFound("document_not_found", _("Không tìm thấy văn bản."))
    return incoming


def register(document_id: int, actor: User, override_reason: str = "") -> IncomingDocument:
    """Number a held document; registering one whose signature failed needs a recorded reason."""
    incoming = get_incoming(document_id, actor)
    records.require_status(incoming, IncomingStatus.RECEIVED)
    main = incoming.document.main_file
    verdict = (main.signature_report or {}).get("verdict") if main else None
    if incoming.received_via == ReceivedVia.ELECTRONIC and verdict != "ok":
        if not override_reason.strip():
            raise ValidationError(
                "signature_not_valid",
                _("Chữ ký số không hợp lệ: cần trả lại nơi gửi hoặc ghi rõ lý do vẫn vào sổ."),
            )
        records.audit(
            "incoming.signature_override",
            actor,
            document_id,
            reason=override_reason.strip(),
            verdict=verdict,
        )
    _assign_arrival_number(incoming, actor)
    db.session.flush()
    return incoming


def return_to_sender(document_id: int, reason: str, actor: User) -> IncomingDocument:
    """Send back a document that failed the checks; it never gets an arrival number."""
    incoming = get_incoming(document_id, actor)
    records.require_status(incoming, IncomingStatus.RECEIVED)
    if not reason.strip():
        raise ValidationError("reason_required", _("Cần nêu lý do trả lại."))
    incoming.return_reason = reason.strip()
    incoming.returned_at = utcnow()
    incoming.document.status = IncomingStatus.RETURNED
    records.audit(
        "incoming.returned",
        actor,
        document_id,
        reason=incoming.return_reason,
        sender=incoming.document.issuer_org,
    )
    db.session.flush()
    return incoming


def mark_recalled(document_id: int, reason: str, actor: Actor) -> IncomingDocument:
    """The sender recalled (or replaced) the document: it can no longer be handled here.

    Every action checks the statuses it allows, none allows ``recalled``; open handling tasks
    are closed (``superseded``) so they leave the assignees' lists. A document returned to its
    sender stays returned (it was never handled here). ``actor``: whoever brought the recall
    in (the exchange worker's Operator).
    """
    incoming = db.session.get(IncomingDocument, document_id)
    if incoming is None:
        raise NotFound("document_not_found", _("Không tìm thấy văn bản."))
    if incoming.document.status in {IncomingStatus.RETURNED, IncomingStatus.RECALLED}:
        return incoming
    for routing in incoming.routings:
        for task in routing.tasks:
            if task.status in {"open", "in_progress"}:
                task.status = "superseded"
    incoming.document.status = IncomingStatus.RECALLED
    records.audit("incoming.recalled", actor, document_id, reason=reason.strip())
    db.session.flush()
    return incoming


def present(document_id: int, leader_id: int, actor: User) -> IncomingDocument:
    """The clerk puts the document before a leader for direction."""
    incoming = get_incoming(document_id, actor)
    records.require_status(incoming, IncomingStatus.REGISTERED, IncomingStatus.PRESENTED)
    leader = db.session.get(User, leader_id)
    if leader is None or not leader.has_role(Role.LEADER) or not leader.active:
        raise ValidationError("invalid_leader", _("Người nhận trình phải là lãnh đạo."))
    if incoming.document.secrecy > leader.clearance:
        raise ValidationError(
            "leader_not_cleared", _("Lãnh đạo được chọn không được tiếp cận văn bản mật này.")
        )
    incoming.presented_to_id = leader.id
    incoming.presented_at = utcnow()
    incoming.document.status = IncomingStatus.PRESENTED
    records.audit("incoming.presented", actor, document_id, leader=leader.username)
    db.session.flush()
    return incoming


def route(
    document_id: int,
    actor: User,
    *,
    direction_text: str,
    lead_unit_id: int | None = None,
    lead_user_id: int | None = None,
    cooperating_unit_ids: list[int] | None = None,
    deadline: date | None = None,
) -> Routing:
    """The leader's direction: the lead (unit or person), cooperating units and a deadline."""
    incoming = get_incoming(document_id, actor)
    records.require_status(
        incoming, IncomingStatus.REGISTERED, IncomingStatus.PRESENTED, IncomingStatus.ROUTED
    )
    errors: dict[str, str] = {}
    if not direction_text.strip():
        errors["direction"] = _("Cần nhập ý kiến chỉ đạo.")
    if not lead_unit_id and not lead_user_id:
        errors["lead"] = _("Cần chọn đơn vị hoặc người chủ trì.")
    if lead_unit_id and db.session.get(Unit, lead_unit_id) is None:
        errors["lead_unit_id"] = _("Đơn vị chủ trì không tồn tại.")
    lead_user = db.session.get(User, lead_user_id) if lead_user_id else None
    if lead_user_id and (lead_user is None or not lead_user.active):
        errors["lead_user_id"] = _("Người chủ trì không tồn tại.")
    elif lead_user is not None and incoming.document.secrecy > lead_user.clearance:
        errors["lead_user_id"] = _("Người chủ trì không được tiếp cận văn bản mật này.")
    cooperating = list(dict.fromkeys(cooperating_unit_ids or []))
    if any(db.session.get(Unit, unit_id) is None for unit_id in cooperating):
        errors["cooperating_unit_ids"] = _("Đơn vị phối hợp không tồn tại.")
    if deadline and deadline < local_today():
        errors["deadline"] = _("Hạn giải quyết không thể ở quá khứ.")
    if errors:
        raise ValidationError("invalid_routing", _("Ý kiến chỉ đạo chưa hợp lệ."), details=errors)

    for previous in incoming.routings:  # a new direction replaces the open tasks of the old one
        for task in previous.tasks:
            if task.status != "done":
                task.status = "superseded"
    routing = Routing(
        incoming=incoming,
        directed_by_id=actor.id,
        direction_text=direction_text.strip(),
        lead_unit_id=lead_unit_id,
        lead_user_id=lead_user_id,
        cooperating_unit_ids=cooperating,
        deadline=deadline,
    )
    routing.tasks.append(
        HandlingTask(
            document_id=document_id, kind="lead", unit_id=lead_unit_id, user_id=lead_user_id
        )
    )
    for unit_id in cooperating:
        if unit_id != lead_unit_id:
            routing.tasks.append(
                HandlingTask(document_id=document_id, kind="cooperate", unit_id=unit_id)
            )
    incoming.deadline = deadline
    incoming.completed_at = None
    incoming.document.status = IncomingStatus.ROUTED
    db.session.add(routing)
    db.session.flush()
    records.audit(
        "incoming.routed",
        actor,
        document_id,
        direction=routing.direction_text,
        lead_unit_id=lead_unit_id,
        lead_user_id=lead_user_id,
        cooperating_unit_ids=cooperating,
        deadline=deadline.isoformat() if deadline else None,
    )
    return routing


def _task_filter(user: User) -> Any:
    conditions = [HandlingTask.user_id == user.id]
    if user.unit_id is not None:
        conditions.append(
            and_(HandlingTask.unit_id == user.unit_id, HandlingTask.user_id.is_(None))
        )
    return or_(*conditions)


def tasks_for(user: User, include_done: bool = False) -> list[HandlingTask]:
    """``user``'s tasks on documents they may see, newest first, with each task's routing, its
    document and its notes loaded with them: the dashboard and the task list read all three on
    every task, and loading them one by one cost a few queries per task."""
    query = (
        select(HandlingTask)
        .join(Document, Document.id == HandlingTask.document_id)
        .where(_task_filter(user), Document.secrecy <= user.clearance)
        .options(
            joinedload(HandlingTask.routing).joinedload(Routing.incoming),
            selectinload(HandlingTask.notes),
        )
        .order_by(HandlingTask.id.desc())
    )
    statuses = ["open", "in_progress"] + (["done"] if include_done else [])
    return list(db.session.scalars(query.where(HandlingTask.status.in_(statuses))))


def get_task(task_id: int, user: User) -> HandlingTask:
    """A handling task on a document ``user`` may see (404 otherwise, as for the document)."""
    task = db.session.get(HandlingTask, task_id)
    if task is None:
        raise NotFound("task_not_found", _("Không tìm thấy nhiệm vụ."))
    get_visible_document(task.document_id, user)
    return task


def report_progress(task_id: int, actor: User, text: str, done: bool = False) -> HandlingTask:
    """The assignee records progress; finishing the lead task completes the document."""
    task = get_task(task_id, actor)
    mine = task.user_id == actor.id or (task.user_id is None and task.unit_id == actor.unit_id)
    if not mine:
        raise Forbidden("not_assignee", _("Nhiệm vụ này không được giao cho bạn."))
    if task.status not in {"open", "in_progress"}:
        raise Conflict("task_closed", _("Nhiệm vụ đã kết thúc."))
    if not text.strip():
        raise ValidationError("text_required", _("Cần nhập nội dung tiến độ."))
    task.notes.append(HandlingNote(author_id=actor.id, text=text.strip()))
    task.status = "done" if done else "in_progress"
    completes_document = done and task.kind == "lead"
    if done:
        task.completed_at = utcnow()
        if completes_document:
            incoming = db.session.get(IncomingDocument, task.document_id)
            incoming.completed_at = task.completed_at
            incoming.document.status = IncomingStatus.DONE
    details = {"document_done": True} if completes_document else {}
    records.audit(
        "incoming.task_done" if done else "incoming.task_progress",
        actor,
        task.document_id,
        task_id=task.id,
        text=text.strip(),
        **details,
    )
    db.session.flush()
    return task


@dataclass
class IncomingFilter(ListFilter):
    date_from: date | None = None
    date_to: date | None = None
    register_id: int | None = None
    presented_to_id: int | None = None


def list_query(user: User, flt: IncomingFilter) -> Select:
    query = visible(
        select(IncomingDocument).join(Document, Document.id == IncomingDocument.document_id),
        user,
    )
    if flt.date_from:
        query = query.where(IncomingDocument.received_at >= local_day_start_utc(flt.date_from))
    if flt.date_to:
        query = query.where(IncomingDocument.received_at < local_day_end_utc(flt.date_to))
    if flt.register_id:
        query = query.where(IncomingDocument.register_id == flt.register_id)
    if flt.presented_to_id:
        query = query.where(IncomingDocument.presented_to_id == flt.presented_to_id)
    return filtered(query, flt)


def list_incoming(user: User, flt: IncomingFilter) -> tuple[int, list[IncomingDocument]]:
    """One page of the incoming documents ``user`` may see, latest arrival first."""
    order = (IncomingDocument.received_at.desc(), IncomingDocument.document_id.desc())
    return one_page(list_query(user, flt), flt, *order)


def leaders(min_clearance: int = Clearance.NONE) -> list[User]:
    users = db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name))
    return [u for u in users if u.has_role(Role.LEADER) and u.clearance >= min_clearance]
