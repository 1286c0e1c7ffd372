"""Writing and verifying the audit chain.

A row's hash covers its content and the previous row's hash, so altering or deleting any row
breaks every later link; ``verify_chain`` names the first row where that happens.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select, update

from edoc.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from edoc.db import utcnow
from edoc.extensions import db

SECRET_KEYS = {"password", "pin", "token", "secret"}


def _canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_hash(event: AuditEvent) -> str:
    payload = {
        "seq": event.seq,
        "at": event.at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip": event.ip,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(_canonical(payload).encode()).hexdigest()


def _scrub(details: dict[str, Any]) -> dict[str, Any]:
    """Never let a secret reach the log, whatever a caller passes."""
    return {
        key: ("***" if any(word in key.lower() for word in SECRET_KEYS) else value)
        for key, value in details.items()
    }


def _request_actor() -> tuple[int | None, str, str]:
    if not has_request_context():
        return None, "system", ""
    ip = request.remote_addr or ""
    user = current_user if current_user and current_user.is_authenticated else None
    from flask import g

    user = getattr(g, "api_user", None) or user
    if user is None:
        return None, "", ip
    return user.id, user.username, ip


def record(
    action: str,
    *,
    object_type: str = "",
    object_id: str | int = "",
    details: dict[str, Any] | None = None,
    actor: Any = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (the caller commits)."""
    actor_id, name, ip = _request_actor()
    if actor is not None:
        actor_id, name = actor.id, actor.username
    if actor_name is not None:
        name = actor_name
    head = db.session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hash)
    ).one()
    event = AuditEvent(
        seq=head.seq,
        at=utcnow(),
        actor_id=actor_id,
        actor_name=name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        ip=ip,
        details=_scrub(details or {}),
        prev_hash=head.last_hash,
    )
    event.hash = compute_hash(event)
    db.session.add(event)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=event.hash))
    return event


def record_security_event(action: str, **kwargs: Any) -> None:
    """Record a refusal in its own transaction, so it is kept even though the request fails."""
    db.session.rollback()
    record(action, **kwargs)
    db.session.commit()


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    event_id: int | None
    reason: str


def verify_chain(batch_size: int = 1000) -> tuple[int, ChainProblem | None]:
    """Walk the chain in order; return how many rows were checked and the first problem."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in _iter_events(batch_size):
        if event.seq != expected_seq:
            return checked, ChainProblem(
                expected_seq, None, f"row seq {expected_seq} is missing (next found: {event.seq})"
            )
        if event.prev_hash != expected_prev:
            return checked, ChainProblem(
                event.seq, event.id, "prev_hash does not match the previous row"
            )
        if compute_hash(event) != event.hash:
            return checked, ChainProblem(event.seq, event.id, "content does not match its hash")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = db.session.get(AuditHead, 1)
    if head is None or head.seq != checked or head.last_hash != expected_prev:
        return checked, ChainProblem(
            checked + 1, None, "rows are missing from the end of the log (head does not match)"
        )
    return checked, None


def _iter_events(batch_size: int) -> Iterator[AuditEvent]:
    last_seq = 0
    while True:
        batch = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch_size)
        ).all()
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq
        db.session.expunge_all()
