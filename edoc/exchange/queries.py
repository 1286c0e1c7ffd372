"""What the exchange pages read: messages, queues, a dispatch's timeline and where an incoming
document came from — always as one user may see them.

A package about a document carries its subject and number, so a message about a secret
document is shown (in lists, counts, the queues and downloads) only to a user who may read
that document: the condition is :func:`edoc.documents.access.visible`, applied inside each
query, so totals and pages never reveal it. Packages tied to no document (a refused package,
a status about an unknown one) are shown to every user of the pages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, or_, select

from edoc.core.errors import Conflict, NotFound, ServiceUnavailable
from edoc.core.extensions import db
from edoc.core.paging import one_page
from edoc.core.transactions import slow_work
from edoc.directory.models import Organization
from edoc.directory.services import organizations
from edoc.documents.access import get_visible_document, visible
from edoc.documents.models import Direction as DocumentDirection
from edoc.documents.models import Document
from edoc.exchange import keys
from edoc.exchange.models import (
    UNPINNED_SENDER,
    Direction,
    ExchangeMessage,
    ExchangePeer,
    ExchangeStatusEvent,
    MessageKind,
    MessageState,
)
from edoc.exchange.operations import QueueLine
from edoc.outgoing.models import Dispatch, OutgoingStatus
from edoc.users.models import User

#: The states an operator acts on: retry (out, forward) or give up.
OPEN_STATES = (MessageState.PENDING, MessageState.FAILED, MessageState.HELD)
PROBLEM_STATES = (MessageState.FAILED, MessageState.HELD)


def visible_condition(user: User) -> ColumnElement[bool]:
    """Messages about no document, or about one ``user`` may read."""
    readable = visible(select(Document.id), user)
    return or_(ExchangeMessage.document_id.is_(None), ExchangeMessage.document_id.in_(readable))


def _visible(query: Select, user: User) -> Select:
    return query.where(visible_condition(user))


def message_for(pk: int, user: User) -> ExchangeMessage:
    """The message, or the same 404 whether it is missing or about a secret document."""
    message = db.session.scalar(
        _visible(select(ExchangeMessage), user).where(ExchangeMessage.id == pk)
    )
    if message is None:
        raise NotFound("message_not_found", _("Không tìm thấy gói tin."))
    return message


@dataclass
class MessageFilter:
    direction: str | None = None
    state: str | None = None
    organ: str = ""
    kind: str | None = None
    page: int = 1
    per_page: int = 50


def list_messages(user: User, flt: MessageFilter) -> tuple[int, list[ExchangeMessage]]:
    """One page of messages, newest first, and how many match (only those ``user`` may see)."""
    query = _visible(select(ExchangeMessage), user)
    if flt.direction:
        query = query.where(ExchangeMessage.direction == flt.direction)
    if flt.state:
        query = query.where(ExchangeMessage.state == flt.state)
    if flt.kind:
        query = query.where(ExchangeMessage.kind == flt.kind)
    if flt.organ.strip():
        organ = flt.organ.strip()
        query = query.where(
            or_(
                ExchangeMessage.from_organ == organ,
                ExchangeMessage.to_organ == organ,
                ExchangeMessage.hop == organ,
            )
        )
    return one_page(query, flt.page, flt.per_page, ExchangeMessage.id.desc())


def problems(user: User, limit: int = 100) -> list[ExchangeMessage]:
    """Failed and held packages, oldest first: what waits for an operator."""
    return list(
        db.session.scalars(
            _visible(select(ExchangeMessage), user)
            .where(ExchangeMessage.state.in_(PROBLEM_STATES))
            .order_by(ExchangeMessage.id)
            .limit(limit)
        )
    )


def queue_lines(user: User) -> list[QueueLine]:
    """Per next hop: waiting, failed and held packages, the oldest and the last error — the
    operator's view of :func:`edoc.exchange.operations.queue_report`, counting only what ``user``
    may see."""
    hop = func.coalesce(ExchangeMessage.hop, ExchangeMessage.to_organ)
    rows = db.session.execute(
        _visible(
            select(hop, ExchangeMessage.state, func.count(), func.min(ExchangeMessage.created_at)),
            user,
        )
        .where(ExchangeMessage.state.in_(OPEN_STATES))
        .group_by(hop, ExchangeMessage.state)
    ).all()
    counts: dict[str, dict[str, Any]] = {}
    for organ, state, count, oldest in rows:
        line = counts.setdefault(organ, {"oldest": None})
        line[state] = count
        line["oldest"] = min(filter(None, (line["oldest"], oldest)), default=None)
    lines = []
    for organ, line in sorted(counts.items()):
        error = db.session.scalar(
            _visible(select(ExchangeMessage.last_error), user)
            .where(hop == organ, ExchangeMessage.state.in_(OPEN_STATES))
            .where(ExchangeMessage.last_error != "")
            .order_by(ExchangeMessage.id.desc())
            .limit(1)
        )
        lines.append(
            QueueLine(
                organ,
                line.get(MessageState.PENDING, 0),
                line.get(MessageState.FAILED, 0),
                line.get(MessageState.HELD, 0),
                line["oldest"],
                error or "",
            )
        )
    return lines


# ---- the sender's side: each dispatch's timeline ---------------------------------------------


@dataclass
class DispatchTimeline:
    """One recipient an outgoing document went to by exchange: its packages (the document,
    then any recall or replacement) and the statuses the recipient's system sent back."""

    dispatch: Dispatch
    packages: list[ExchangeMessage]
    events: list[ExchangeStatusEvent]

    @property
    def package(self) -> ExchangeMessage | None:
        """The document's own package (business type 0 or 2), the one whose delivery shows."""
        first = [m for m in self.packages if m.business_type in (0, 2)]
        return first[0] if first else (self.packages[0] if self.packages else None)

    @property
    def later(self) -> list[ExchangeMessage]:
        return [m for m in self.packages if m is not self.package]


def dispatch_timelines(document_id: int) -> list[DispatchTimeline]:
    """The exchange dispatches of an outgoing document, in the order they were sent."""
    dispatches = db.session.scalars(
        select(Dispatch)
        .where(Dispatch.document_id == document_id, Dispatch.channel == "edxml")
        .order_by(Dispatch.id)
    ).all()
    if not dispatches:
        return []
    by_dispatch: dict[int, list[ExchangeMessage]] = {d.id: [] for d in dispatches}
    for message in db.session.scalars(
        select(ExchangeMessage)
        .where(
            ExchangeMessage.dispatch_id.in_(by_dispatch),
            ExchangeMessage.direction == Direction.OUT,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
        )
        .order_by(ExchangeMessage.id)
    ):
        by_dispatch[message.dispatch_id].append(message)  # type: ignore[index]
    timelines = []
    for dispatch in dispatches:
        packages = by_dispatch[dispatch.id]
        events = sorted(
            (event for message in packages for event in message.events),
            key=lambda e: (e.occurred_at, e.id),
        )
        timelines.append(DispatchTimeline(dispatch, packages, events))
    return timelines


# ---- the recipient's side: where an incoming document came from ------------------------------


@dataclass
class Origin:
    """An incoming document that came by exchange: the package, the statuses sent back about
    it, and the packages of the same sender that replace or recall it (or that it replaces)."""

    message: ExchangeMessage
    events: list[ExchangeStatusEvent]
    replaces: ExchangeMessage | None = None
    replaced_by: list[ExchangeMessage] = field(default_factory=list)

    @property
    def sender_unpinned(self) -> bool:
        """Brought by hand, sealed by a key not pinned for its sender (see ``UNPINNED_SENDER``)."""
        return bool((self.message.verification or {}).get(UNPINNED_SENDER))

    @property
    def via(self) -> str:
        """``hub`` when a hub brought it, ``direct`` from the sender itself, ``file`` by hand."""
        if self.message.hop is None:
            return "file"
        return "direct" if self.message.hop == self.message.from_organ else "hub"


def origin(document_id: int) -> Origin | None:
    message = db.session.scalar(
        select(ExchangeMessage)
        .where(
            ExchangeMessage.document_id == document_id,
            ExchangeMessage.direction == Direction.IN,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
        )
        .order_by(ExchangeMessage.id)
        .limit(1)
    )
    if message is None:
        return None
    replaces = None
    if message.replaces_message_id:
        replaces = _incoming_package(message.replaces_message_id)
    replaced_by = db.session.scalars(
        select(ExchangeMessage)
        .where(
            ExchangeMessage.direction == Direction.IN,
            ExchangeMessage.replaces_message_id == message.message_id,
        )
        .order_by(ExchangeMessage.id)
    ).all()
    events = sorted(message.events, key=lambda e: (e.occurred_at, e.id))
    return Origin(message, events, replaces, list(replaced_by))


def _incoming_package(message_id: str) -> ExchangeMessage | None:
    return db.session.scalar(
        select(ExchangeMessage).where(
            ExchangeMessage.message_id == message_id, ExchangeMessage.direction == Direction.IN
        )
    )


def exchanged_documents(document_ids: Sequence[int]) -> set[int]:
    """Which of these documents came in by exchange."""
    return set(
        db.session.scalars(
            select(ExchangeMessage.document_id).where(
                ExchangeMessage.document_id.in_(document_ids),
                ExchangeMessage.direction == Direction.IN,
                ExchangeMessage.kind == MessageKind.DOCUMENT,
            )
        )
    )


def unpinned_arrivals(document_ids: Sequence[int]) -> set[int]:
    """Which of these documents came in a package brought by hand whose seal was not made
    with a certificate pinned for its sender."""
    rows = db.session.execute(
        select(ExchangeMessage.document_id, ExchangeMessage.verification).where(
            ExchangeMessage.document_id.in_(document_ids),
            ExchangeMessage.direction == Direction.IN,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
            ExchangeMessage.hop.is_(None),
        )
    )
    return {pk for pk, verification in rows if (verification or {}).get(UNPINNED_SENDER)}


# ---- this installation ------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnCertificate:
    """This installation's agency certificate, as peers will pin it."""

    pem: str
    subject: str
    issuer: str
    not_after: datetime
    sha256: str  # of the DER, for checking a copy by telephone


@slow_work
def own_certificate() -> OwnCertificate | None:
    """The agency certificate (read from the token: no transaction open), or None when no
    agency token is configured."""
    try:
        text = keys.certificate_pem()
    except ServiceUnavailable:
        return None
    der = keys.pem_to_der(text)
    certificate = x509.Certificate.load(der)
    return OwnCertificate(
        pem=text,
        subject=certificate.subject.human_friendly,
        issuer=certificate.issuer.human_friendly,
        not_after=certificate["tbs_certificate"]["validity"]["not_after"].native,
        sha256=hashlib.sha256(der).hexdigest(),
    )


# ---- files by hand ----------------------------------------------------------------------------


def exportable(document_id: int, user: User) -> Document:
    """An issued outgoing document ``user`` may see (else the 404 of a missing one, or 409)."""
    document = get_visible_document(document_id, user)
    if document.direction != DocumentDirection.OUTGOING:
        raise NotFound("document_not_found", _("Không tìm thấy văn bản đi."))
    if document.status != OutgoingStatus.ISSUED:
        raise Conflict("not_issued", _("Chỉ xuất gói edXML cho văn bản đã phát hành."))
    return document


def export_recipients() -> list[Organization]:
    """Agencies of the directory a package can be made for (not those served here)."""
    return [o for o in organizations() if not o.internal]


def peer_by_id(peer_id: int) -> ExchangePeer:
    peer = db.session.get(ExchangePeer, peer_id)
    if peer is None:
        raise NotFound("peer_not_found", _("Không tìm thấy kết nối."))
    return peer


def about(message: ExchangeMessage, user: User) -> ExchangeMessage | None:
    """For a status package, the document package it is about (when ``user`` may see it)."""
    if not message.about_message_id:
        return None
    return db.session.scalar(
        _visible(select(ExchangeMessage), user)
        .where(
            ExchangeMessage.message_id == message.about_message_id,
            ExchangeMessage.kind == MessageKind.DOCUMENT,
        )
        .order_by(ExchangeMessage.id)
        .limit(1)
    )
