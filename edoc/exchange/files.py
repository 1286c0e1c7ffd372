"""Packages by hand, for agencies not connected: export one as a ``.edxml`` file, import one
(the inbox's processing minus the request signature; the operator is recorded)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from edoc.audit.services import Actor, record
from edoc.core.errors import AppError, NotFound, ValidationError
from edoc.core.extensions import db
from edoc.exchange import edxml, packages
from edoc.exchange.delivery import build_package
from edoc.exchange.inbox import Accepted, accept_package
from edoc.exchange.models import Direction, ExchangeMessage, MessageKind, MessageState
from edoc.exchange.queueing import cannot_build, queue_document
from edoc.outgoing.models import OutgoingDocument


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
            build_package(message)
        except edxml.EdxmlError as error:
            raise ValidationError("package_unbuildable", cannot_build(error)) from None
        message = db.session.get(ExchangeMessage, message.id, populate_existing=True)
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
