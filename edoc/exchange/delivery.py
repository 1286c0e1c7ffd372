"""Delivering what is due: the package built and sealed once (retries resend those exact bytes),
handed to the transport with no transaction open, and the answer recorded."""

from __future__ import annotations

import io

from sqlalchemy import update

from edoc.blobs.service import blob_store, storage_errors
from edoc.core import leases
from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.exchange import edxml, keys, outbox, packages, peers
from edoc.exchange.attempts import DrainReport, guarded
from edoc.exchange.models import Direction, ExchangeMessage, MessageKind, MessageState
from edoc.exchange.queueing import (
    add_event,
    cannot_build,
    organ_id,
    route_state,
    tell_origin_refused,
)
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
    guarded(
        pk, holder, MessageState.PENDING, report, lambda: _deliver(pk, holder, transport, report)
    )


def _deliver(pk: int, holder: str, transport: Transport | None, report: DrainReport) -> None:
    """A failure is recorded only while ``holder`` still holds the row, still pending: a drain
    that stalled past its lease finds another drain delivered or retried the package meanwhile
    (the recipient keeps one copy per message id), or an operator gave it up, and that outcome
    stands. A delivery is recorded in any case: the recipient has the package."""
    message = db.session.get(ExchangeMessage, pk)
    if message.package_sha256 is None:
        try:
            with outbox.kept_alive(pk, holder):
                build_package(message)
        except edxml.EdxmlError as error:  # retrying cannot help; the route goes on
            db.session.rollback()
            if (message := _released(pk, holder, report)) is None:
                return
            message.state = MessageState.FAILED
            message.last_error = cannot_build(error)
            message.next_attempt_at = None
            if message.dispatch_id and message.kind == MessageKind.DOCUMENT:
                set_dispatch_status(message.dispatch_id, "failed", message.last_error)
            report.failed += 1
            db.session.commit()
            return
        message = db.session.get(ExchangeMessage, pk, populate_existing=True)
    route = peers.route_for(message.to_organ)
    sha256, message_id = message.package_sha256, message.message_id
    db.session.commit()
    if route is None:
        if (message := _released(pk, holder, report)) is not None:
            route_state(message)
            db.session.commit()
        return
    try:
        carrier = transport or transport_for(route)
        with outside_transaction(), outbox.kept_alive(pk, holder):
            carrier.deliver(route, packages.read_blob(sha256), message_id)
    except DeliveryFailed as failure:
        if (message := _released(pk, holder, report)) is None:
            return
        outbox.record_failure(message, failure.reason, failure.retryable)
        if message.direction == Direction.FORWARD:
            if message.state == MessageState.FAILED:
                tell_origin_refused(message, failure.reason)
        elif not failure.retryable:
            _refused_at_the_door(message, failure.reason)
        report.failed += 1
        db.session.commit()
        return
    # The recipient has it: that stands even if this drain's lease ran out meanwhile (another
    # drain's later failure to send it again must not make it failed).
    leases.release(ExchangeMessage, holder, ExchangeMessage.id == pk)
    delivered = db.session.execute(
        update(ExchangeMessage)
        .where(
            ExchangeMessage.id == pk,
            ExchangeMessage.state.in_((MessageState.PENDING, MessageState.FAILED)),
        )
        .values(
            state=MessageState.DELIVERED,
            delivered_at=utcnow(),
            hop=route.organ_code,
            last_error="",
            next_attempt_at=None,
        )
    ).rowcount
    if not delivered:  # given up by an operator meanwhile, or recorded by another drain
        db.session.commit()
        return
    message = db.session.get(ExchangeMessage, pk, populate_existing=True)
    if message.dispatch_id and message.kind == MessageKind.DOCUMENT and not message.business_type:
        dispatch = db.session.get(Dispatch, message.dispatch_id)
        if dispatch is not None and dispatch.status in {"queued", "held", "failed"}:
            set_dispatch_status(message.dispatch_id, "sent")
    report.delivered += 1
    db.session.commit()


def _released(pk: int, holder: str, report: DrainReport) -> ExchangeMessage | None:
    """The row with this drain's lease ended, or None (noted in the report) when another drain
    took it over or an operator gave it up meanwhile."""
    message = outbox.release(pk, holder)
    if message is None:
        db.session.commit()  # this drain's lease, if it still had it, ends all the same
        report.errors.append(f"{pk}: taken over or given up meanwhile; outcome not recorded")
    return message


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
    built = {"package_sha256": info.sha256, "package_size": info.size}
    if isinstance(sealed, edxml.Envelope):
        built["edxml_document_id"] = sealed.header.document_id
    # once: a drain that stalled here, or an export by hand at the same moment, keeps the
    # package another built first (it may have been sent already)
    db.session.execute(
        update(ExchangeMessage)
        .where(ExchangeMessage.id == pk, ExchangeMessage.package_sha256.is_(None))
        .values(**built)
    )
    db.session.commit()
