"""Sending issued documents to their recipients, and telling them of a recall."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from edoc.audit.services import record
from edoc.db import utcnow
from edoc.documents.models import Direction, Document, DocumentFile
from edoc.errors import AppError
from edoc.extensions import db
from edoc.outgoing.models import Dispatch, Organization, OutgoingDocument, OutgoingStatus


def send(outgoing: OutgoingDocument, organization_ids: list[int]) -> list[Dispatch]:
    """Record one dispatch per recipient; internal recipients receive it as incoming mail."""
    from edoc.incoming.models import IncomingDocument, IncomingStatus, ReceivedVia
    from edoc.incoming.services import register_for

    if outgoing.status != OutgoingStatus.ISSUED:
        raise AppError("not_issued", _("Chỉ gửi được văn bản đã phát hành."), 409)
    document = outgoing.document
    main = document.main_file
    dispatches = []
    for organization in db.session.scalars(
        select(Organization).where(Organization.id.in_(organization_ids))
    ):
        dispatch = Dispatch(
            recipient=organization.name, channel="internal" if organization.internal else "edxml"
        )
        if organization.internal:
            received = Document(
                direction=Direction.INCOMING,
                status=IncomingStatus.RECEIVED,
                number_notation=document.number_notation,
                doc_type_code=document.doc_type_code,
                subject=document.subject,
                issued_date=document.issued_date,
                issuer_org=document.issuer_org,
                signer_name=document.signer_name,
                urgency=document.urgency,
                secrecy=document.secrecy,
                page_count=document.page_count,
            )
            received.files.append(
                DocumentFile(
                    role="main",
                    filename=main.filename,
                    content_type=main.content_type,
                    sha256=main.sha256,
                    size=main.size,
                    signature_report=_check_on_receipt(main.sha256),
                )
            )
            db.session.add(
                IncomingDocument(
                    document=received,
                    register_id=register_for(document.secrecy).id,
                    received_at=utcnow(),
                    received_via=ReceivedVia.ELECTRONIC,
                    recipient=organization.name,
                )
            )
            db.session.flush()
            dispatch.incoming_document_id = received.id
            dispatch.status = "delivered"
        outgoing.dispatches.append(dispatch)
        dispatches.append(dispatch)
        record(
            "outgoing.sent",
            object_type="document",
            object_id=document.id,
            details={"recipient": organization.name, "channel": dispatch.channel},
        )
    return dispatches


def _check_on_receipt(sha256: str) -> dict:
    """The receiving side checks the signatures itself, as for any electronic receipt."""
    from flask import current_app

    from edoc.storage_service import blob_store, storage_errors
    from signing.validation import validate_pdf

    with storage_errors(), blob_store().open(sha256) as stream:
        data = stream.read()
    return validate_pdf(data, trust_roots=current_app.config["EDOC"].trust_roots()).to_dict()


def notify_recall(outgoing: OutgoingDocument) -> None:
    """Mark every delivery recalled; internal recipients see it on their copy."""
    for dispatch in outgoing.dispatches:
        dispatch.status = "recalled"
        dispatch.note = outgoing.recall_reason
        if dispatch.incoming_document_id:
            copy = db.session.get(Document, dispatch.incoming_document_id)
            if copy is not None:
                record(
                    "incoming.sender_recalled",
                    object_type="document",
                    object_id=copy.id,
                    details={"reason": outgoing.recall_reason},
                )
