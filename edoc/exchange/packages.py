"""edXML packages built from this installation's records (slow parts, signing and reading the
files, run by the worker with no transaction open)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app
from sqlalchemy import select

from edoc.blobs.service import blob_store, storage_errors
from edoc.core.extensions import db
from edoc.directory import services as directory
from edoc.documents.agency import agency_name
from edoc.documents.models import Document, DocumentType
from edoc.exchange import edxml, peers
from edoc.exchange.models import ExchangeMessage, ExchangeStatusEvent
from edoc.outgoing.authority import competence
from edoc.outgoing.models import OutgoingDocument

#: Our urgency (0 normal … 3 hỏa tốc) is edXML's Priority 0–3 (4, "hỏa tốc hẹn giờ", unused).
PRIORITY_OF_URGENCY = {0: 0, 1: 1, 2: 2, 3: 3}


def new_message_id() -> str:
    return str(uuid.uuid4())


def this_organ() -> edxml.Organ:
    return edxml.Organ(current_app.config["EDOC"].organ_id, agency_name() or "")


def organ_name(organ_code: str) -> str:
    """The name an organ code stands for: the directory's, else the peer's, else the code
    (edXML requires a name beside every OrganId)."""
    listed = directory.names_by_code([organ_code]).get(organ_code)
    if listed:
        return listed
    peer = peers.peer(organ_code)
    return peer.name if peer is not None and peer.name else organ_code


def split_number_notation(number_notation: str) -> tuple[str, str]:
    number, _sep, notation = number_notation.partition("/")
    return number.strip(), notation.strip()


@dataclass(frozen=True)
class FileToSend:
    sha256: str
    name: str
    content_type: str


@dataclass(frozen=True)
class DocumentPlan:
    """Everything read from the database to build a document package (plain values: the
    build then runs with no transaction open)."""

    header: edxml.MessageHeader
    files: tuple[FileToSend, ...]


def document_plan(message: ExchangeMessage) -> DocumentPlan:
    """The MessageHeader of ``message``'s outgoing document, and the files to attach (the
    signed PDF first, byte for byte, then the sealed appendices)."""
    document = db.session.get(Document, message.document_id)
    outgoing = db.session.get(OutgoingDocument, message.document_id)
    settings = current_app.config["EDOC"]
    doc_type = db.session.get(DocumentType, document.doc_type_code)
    number, notation = split_number_notation(document.number_notation)
    issued = document.issued_date or date.today()
    main = document.main_file
    appendices = [f for f in document.files if f.role == "appendix"]
    business = edxml.Business(message.business_type)
    if message.business_type in (1, 2, 3) and message.replaces_message_id:
        replaced = db.session.scalar(
            select(ExchangeMessage).where(
                ExchangeMessage.message_id == message.replaces_message_id,
                ExchangeMessage.direction == "out",
            )
        )
        reason = outgoing.recall_reason if outgoing is not None else ""
        replaced_ids = (replaced.edxml_document_id,) if replaced is not None else ()
        business = edxml.Business(message.business_type, reason, replaced_ids)
    header = edxml.MessageHeader(
        from_organ=this_organ(),
        to_organs=(edxml.Organ(message.to_organ, organ_name(message.to_organ)),),
        code_number=number,
        code_notation=notation,
        promulgation_place=settings.place_name,
        promulgation_date=issued,
        document_type=1,
        type_name=doc_type.name if doc_type else document.doc_type_code,
        subject=document.subject,
        signer=edxml.SignerInfo(
            competence=competence(outgoing) if outgoing else "",
            position=document.signer_title,
            full_name=document.signer_name,
        ),
        priority=PRIORITY_OF_URGENCY.get(document.urgency, 0),
        page_amount=document.page_count or 0,
        appendixes=tuple(f.filename for f in appendices),
        steering_type=0,
        document_id=edxml.document_id_for(settings.organ_id, issued, document.number_notation),
        business=business,
        secrecy=document.secrecy,
        urgency=document.urgency,
    )
    files = tuple(
        FileToSend(f.sha256, f.filename, f.content_type)
        for f in ([main] if main else []) + appendices
    )
    return DocumentPlan(header, files)


def read_blob(sha256: str) -> bytes:
    with storage_errors(), blob_store().open(sha256) as stream:
        return stream.read()


def build_document(message_id: str, plan: DocumentPlan) -> edxml.Envelope:
    attachments = tuple(
        edxml.Attachment(
            content_id=f"att{index}",
            name=f.name,
            content_type=f.content_type,
            data=read_blob(f.sha256),
        )
        for index, f in enumerate(plan.files)
    )
    return edxml.Envelope(message_id=message_id, header=plan.header, attachments=attachments)


@dataclass(frozen=True)
class StatusPlan:
    message: edxml.StatusMessage


def status_plan(message: ExchangeMessage) -> edxml.StatusMessage:
    """The status package ``message`` (an out status row) stands for, from the document
    package it is about and the timeline event it reports."""
    about = db.session.scalar(
        select(ExchangeMessage).where(
            ExchangeMessage.message_id == message.about_message_id,
            ExchangeMessage.direction.in_(("in", "out", "forward")),
        )
    )
    event = db.session.scalar(
        select(ExchangeStatusEvent).where(
            ExchangeStatusEvent.status_message_id == message.message_id
        )
    )
    response_for = edxml.ResponseFor(
        organ_id=message.to_organ,
        code=about.code if about else "",
        promulgation_date=(about.promulgation_date if about else None) or date.today(),
        document_id=about.edxml_document_id if about else "",
    )
    occurred = event.occurred_at if event else message.created_at
    return edxml.StatusMessage(
        message_id=message.message_id,
        about_message_id=message.about_message_id or "",
        response_for=response_for,
        from_organ=this_organ(),
        to_organ=edxml.Organ(message.to_organ, organ_name(message.to_organ)),
        status_code=message.status_code,
        description=event.description if event else "",
        timestamp=occurred.replace(tzinfo=UTC),
        arrival_number=event.arrival_number if event else "",
    )


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
