"""Delivering what is due: the package built and sealed once (retries resend those exact bytes),
handed to the transport with no transaction open, and the answer recorded."""

from __future__ import annotations

import io

from edoc.blobs.service import blob_store, storage_errors
from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.exchange import edxml, keys, outbox, packages, peers
from edoc.exchange.attempts import DrainReport, guarded
from edoc.exchange.models import Direction, ExchangeMessage, MessageKind, MessageState
from edoc.exchange.queueing import add_event, cannot_build, forward_ended, organ_id, route_state
from edoc.exchange.transport import (
    DeliveryFailed,
    HttpTransport,
    Transport,
    register_transport,
    transport_for,
)
from edoc.outgoing.models import Dispatch
from edoc.outgoing.sending import set_dispatch_status


def http_transport() -> Transport:
    """Signed HTTP to the next hop's inbox, with this agency's key."""
    return HttpTransport(lambda body: keys.sign_request(body, organ_id()))


register_transport("http", http_transport)


def deliver_one(pk: int, holder: str, transport: Transport | None, report: DrainReport) -> None:
    """Deliver package ``pk`` (claimed by ``holder``), a failure recorded on it; by
    ``transport``, or (None) by the one the next hop's peer is configured with."""
    guarded(pk, holder, MessageState.PENDING, report, lambda: _deliver(pk, transport, report))


def _deliver(pk: int, transport: Transport | None, report: DrainReport) -> None:
    message = db.session.get(ExchangeMessage, pk)
    if message.package_sha256 is None:
        try:
            build_package(message)
        except edxml.EdxmlError as error:  # retrying cannot help; the route goes on
            db.session.rollback()
            message = outbox.release(pk)
            message.state = MessageState.FAILED
            message.last_error = cannot_build(error)
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
        route_state(message)
        db.session.commit()
        return
    try:
        carrier = transport or transport_for(route)
        with outside_transaction():
            carrier.deliver(route, packages.read_blob(sha256), message_id)
    except DeliveryFailed as failure:
        message = outbox.release(pk)
        outbox.record_failure(message, failure.reason, failure.retryable)
        if message.direction == Direction.FORWARD:
            if message.state == MessageState.FAILED:
                forward_ended(message, failure.reason)
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


def _refused_at_the_door(message: ExchangeMessage, reason: str) -> None:
    """A document refused by the receiving system's inbox (it kept nothing, so it sends no
    status package): its answer is this dispatch's 02."""
    if message.kind != MessageKind.DOCUMENT:
        return
    add_event(message, "02", reason)
    if message.dispatch_id:
        set_dispatch_status(message.dispatch_id, "refused", reason)


def build_package(message: ExchangeMessage) -> None:
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
