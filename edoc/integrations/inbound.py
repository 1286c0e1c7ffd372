"""Documents sent in by other systems (the one-stop portal, a ministry's software) through
``POST /api/v1/integrations/documents``, into the clerk's queue unregistered.

The file gets exactly the clerk's upload checks (:func:`edoc.incoming.intake.check_main_file`,
run with no transaction open), then :func:`edoc.incoming.services.receive` creates the document
(``source=integration``, ``register_now=False``): the clerk reads it and registers or returns
it, as with any arrival.

Idempotency: the caller's ``Idempotency-Key`` header, else its ``external_reference``, names
the call. An :class:`InboundDocument` row holds the key under a unique constraint
``(client, key)``, written in the same transaction as the document: of two identical calls
racing, one commits and the other's insert fails, rolls back everything it wrote (document,
audit entry, webhook deliveries) and answers the first one's document. A repeat answers that
document whatever file or metadata it carries (the key is the caller's promise that it is the
same call). A call with neither key is never deduplicated.

An edXML package posted here is the exchange area's business (its own receiving path, with its
message-id deduplication); this module takes a file and metadata only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from edoc.core.errors import AppError, ValidationError
from edoc.core.extensions import db
from edoc.directory.models import Organization
from edoc.incoming import intake
from edoc.incoming import services as incoming
from edoc.incoming.models import IncomingDocument
from edoc.integrations.models import InboundDocument
from edoc.users.models import User


@dataclass(frozen=True)
class Inbound:
    incoming: IncomingDocument
    key: str
    external_reference: str
    created: bool

    def answer(self) -> dict[str, Any]:
        document = self.incoming.document
        main = document.main_file
        return {
            "id": document.id,
            "status": document.status,
            "arrival_number": self.incoming.arrival_number,
            "signature_verdict": (main.signature_report or {}).get("verdict") if main else None,
            "external_reference": self.external_reference,
            "idempotency_key": self.key,
            "created": self.created,
        }


def _earlier(client: User, key: str) -> Inbound | None:
    row = db.session.scalar(
        select(InboundDocument).where(
            InboundDocument.client_id == client.id, InboundDocument.idempotency_key == key
        )
    )
    if row is None:
        return None
    found = db.session.get(IncomingDocument, row.document_id)
    return Inbound(found, key, row.external_reference, created=False)


def _sender_name(code: str, name: str) -> str:
    if name.strip():
        return name.strip()
    organization = db.session.scalar(select(Organization).where(Organization.code == code.strip()))
    if organization is None:
        raise ValidationError(
            "unknown_sender",
            _("Mã cơ quan gửi %(c)s không có trong danh bạ; hãy gửi kèm tên cơ quan.", c=code),
            details={"sender_code": _("Mã cơ quan không có trong danh bạ.")},
        )
    return organization.name


def receive(
    client: User, metadata: dict[str, Any], uploads: list[FileStorage], idempotency_key: str = ""
) -> Inbound:
    """The document for this call: created now (``created``), or the one an earlier call with
    the same key created."""
    external_reference = (metadata.get("external_reference") or "").strip()
    key = idempotency_key.strip() or external_reference
    if key:
        earlier = _earlier(client, key)
        if earlier is not None:
            return earlier
    sender = _sender_name(metadata.get("sender_code") or "", metadata.get("sender_name") or "")
    uploads = [u for u in uploads if u and u.filename]
    main = intake.check_main_file(metadata["received_via"], uploads)  # no transaction held
    fields = incoming.IncomingFields(
        sender_org=sender,
        number_notation=metadata.get("number_notation") or "",
        doc_type=metadata.get("doc_type") or "",
        subject=metadata.get("subject") or "",
        received_via=metadata["received_via"],
        issued_date=metadata.get("issued_date"),
        signer_name=metadata.get("signer") or "",
        urgency=metadata.get("urgency") or 0,
        secrecy=metadata.get("secrecy") or 0,
        note=_("Nhận qua kết nối liên thông (mã tham chiếu: %(r)s).", r=external_reference)
        if external_reference
        else _("Nhận qua kết nối liên thông."),
    )
    document = incoming.receive(
        fields, main, client, register_now=False, source=incoming.Source.INTEGRATION
    )
    db.session.add(
        InboundDocument(
            client_id=client.id,
            idempotency_key=key or f"auto:{uuid.uuid4()}",
            external_reference=external_reference,
            sender_code=(metadata.get("sender_code") or "").strip(),
            document_id=document.document_id,
        )
    )
    try:
        db.session.flush()
    except IntegrityError:  # the same key committed meanwhile by a concurrent call
        db.session.rollback()
        earlier = _earlier(client, key)
        if earlier is None:
            raise AppError(
                "idempotency_conflict", _("Không ghi nhận được văn bản; hãy gửi lại."), 409
            ) from None
        return earlier
    return Inbound(document, key, external_reference, created=True)
