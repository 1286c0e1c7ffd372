"""Writing and verifying the audit chain.

Every entry names who acted: ``record(action, actor=…)`` has no default and accepts exactly one
of the three kinds of :data:`Actor`, so an entry can never silently say "system".

A row's hash covers its content and the previous row's hash, keyed with a secret held outside
the database (HMAC-SHA256, :func:`compute_hash`): altering, inserting or deleting any row breaks
every later link, and someone who can write to the database but lacks the key cannot recompute
the chain. ``verify_chain`` names the first row where a link breaks; signed checkpoints
(:mod:`edoc.audit.checkpoints`) anchor the chain outside the database as well.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_request_context, request
from sqlalchemy import select, text, update

from edoc.audit.models import GENESIS_HASH, KEYED_HMAC, LEGACY_SHA256, AuditEvent, AuditHead
from edoc.core.auth import Person
from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.core.signals import security_refused

SECRET_KEYS = {"password", "pin", "token", "secret"}


def os_login() -> str:
    """The person at the terminal: ``SUDO_USER`` when the command runs under sudo, else the
    login of the process (the service account, for the worker)."""
    sudo_user = os.environ.get("SUDO_USER", "").strip()
    if sudo_user:
        return sudo_user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container running as a bare uid)
        return f"uid {os.getuid()}"


@dataclass(frozen=True)
class Operator:
    """Who acted when no signed-in user did: the command or background task, and the operator.

    Pass it as ``record(..., actor=Operator(...))`` (or to a service that takes ``actor``) for
    work done outside a web request:

    - a command run by a person: ``Operator.cli("edoc import-package")`` — the OS login that ran
      it is taken from ``SUDO_USER`` or the process (:func:`os_login`);
    - a background task: ``Operator.task("exchange.dispatch", on_behalf_of=user)`` — the user
      who asked for the work, when one did (look them up by the id the task was given);
    - anything else: ``Operator(command="…", operator="…", on_behalf_of=…)``.

    Inside a web request pass the signed-in user itself, never an Operator. The entry shows
    the user ``on_behalf_of`` (or else the operator) as the actor, with the command beside it.
    """

    command: str
    operator: str = ""
    on_behalf_of: Person | None = None

    def __post_init__(self) -> None:
        if not self.command.strip():
            raise ValueError("an Operator must name its command or task")

    @classmethod
    def cli(cls, command: str, on_behalf_of: Person | None = None) -> Operator:
        return cls(command=command, operator=os_login(), on_behalf_of=on_behalf_of)

    @classmethod
    def task(cls, name: str, on_behalf_of: Person | None = None) -> Operator:
        return cls(command=f"task {name}", operator=os_login(), on_behalf_of=on_behalf_of)


@dataclass(frozen=True)
class Anonymous:
    """A web request by nobody signed in (a failed login, a rejected token or CSRF check);
    ``claimed_name`` is the account name the client gave, if any."""

    claimed_name: str = ""


#: The one argument every audit entry must be given: a signed-in user (any
#: :class:`~edoc.core.auth.Person`), an :class:`Operator` or :class:`Anonymous`.
Actor = Person | Operator | Anonymous


def _canonical(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _payload(event: AuditEvent) -> dict[str, Any]:
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
    if event.hash_version != LEGACY_SHA256:
        payload |= {
            "command": event.command,
            "operator": event.operator,
            "hash_version": event.hash_version,
        }
    return payload


def audit_key() -> bytes:
    return current_app.config["EDOC"].audit_hmac_key()


def compute_hash(event: AuditEvent, key: bytes | None = None) -> str:
    """The row's seal: HMAC-SHA256 under the audit key; plain SHA-256 for legacy rows only."""
    data = _canonical(_payload(event)).encode()
    if event.hash_version == LEGACY_SHA256:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key if key is not None else audit_key(), data, hashlib.sha256).hexdigest()


def _scrub(details: dict[str, Any]) -> dict[str, Any]:
    """Never let a secret reach the log, whatever a caller passes."""
    return {
        key: ("***" if any(word in key.lower() for word in SECRET_KEYS) else value)
        for key, value in details.items()
    }


def _describe(actor: Actor) -> tuple[int | None, str, str, str]:
    """``(actor_id, actor_name, command, operator)`` for the row."""
    if isinstance(actor, Operator):
        user = actor.on_behalf_of
        if user is not None:
            return user.id, user.username, actor.command, actor.operator
        return None, actor.operator, actor.command, actor.operator
    if isinstance(actor, Anonymous):
        return None, actor.claimed_name, "", ""
    if isinstance(actor, Person):
        return actor.id, actor.username, "", ""
    raise TypeError(
        f"audit actor must be a User, an Operator or Anonymous, not {type(actor).__name__}"
    )


@dataclass(frozen=True)
class Entry:
    """One entry of :func:`record_many`: what :func:`record` takes besides the actor."""

    action: str
    object_type: str = ""
    object_id: str | int = ""
    details: dict[str, Any] = field(default_factory=dict)


def record(
    action: str,
    *,
    actor: Actor,
    object_type: str = "",
    object_id: str | int = "",
    **details: Any,
) -> AuditEvent:
    """Append one event in the caller's transaction (the caller commits); keyword arguments
    beyond the object are the event's details (scrubbed of secrets).

    ``actor`` is required: the signed-in user in a web request, an :class:`Operator` for a
    command or task, :class:`Anonymous` for a request by nobody signed in.
    """
    return record_many([Entry(action, object_type, object_id, details)], actor=actor)[0]


def record_many(entries: Sequence[Entry], *, actor: Actor) -> list[AuditEvent]:
    """Append several events by one actor, in order, in the caller's transaction.

    Why: a bulk operation (a legacy import of 200,000 register rows) audits every row, and
    taking the chain's head once for ``n`` entries costs two statements instead of ``2n``.
    The chain is the same as ``n`` calls of :func:`record`: consecutive ``seq``, each entry
    sealed over the one before it; the head's row lock is held from the first statement to
    the caller's commit, as for one entry.
    """
    if not entries:
        return []
    actor_id, actor_name, command, operator = _describe(actor)
    ip = (request.remote_addr or "") if has_request_context() else ""
    key = audit_key()
    head = db.session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + len(entries))
        .returning(AuditHead.seq, AuditHead.last_hash)
    ).one()
    seq, previous = head.seq - len(entries), head.last_hash
    events = []
    for entry in entries:
        seq += 1
        event = AuditEvent(
            seq=seq,
            at=utcnow(),
            actor_id=actor_id,
            actor_name=actor_name,
            command=command,
            operator=operator,
            action=entry.action,
            object_type=entry.object_type,
            object_id=str(entry.object_id),
            ip=ip,
            details=_scrub(entry.details),
            prev_hash=previous,
            hash_version=KEYED_HMAC,
        )
        event.hash = previous = compute_hash(event, key)
        events.append(event)
    db.session.add_all(events)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=previous))
    return events


def record_security_event(action: str, *, actor: Actor, **kwargs: Any) -> None:
    """Record a refusal in its own transaction, so it is kept even though the request fails."""
    db.session.rollback()
    record(action, actor=actor, **kwargs)
    db.session.commit()  # the request rolls back on its refusal; this entry must stay


def _record_refusal(_sender: Flask, *, action: str, user: Person | None, **details: Any) -> None:
    record_security_event(action, actor=user if user is not None else Anonymous(), **details)


def init_audit(app: Flask) -> None:
    """Audit the refusals core announces (:data:`edoc.core.signals.security_refused`)."""
    security_refused.connect(_record_refusal, sender=app)


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    event_id: int | None
    reason: str


def verify_chain(batch_size: int = 1000) -> tuple[int, ChainProblem | None]:
    """Walk the chain in order; return how many rows were checked and the first problem.

    A row still sealed with the legacy plain SHA-256 is a problem too: anyone with write access
    to the database could have recomputed it (``edoc audit rekey`` re-seals such rows once).
    """
    key = audit_key()
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
        if event.hash_version != KEYED_HMAC:
            return checked, ChainProblem(
                event.seq,
                event.id,
                "row is not sealed with the audit key (legacy or downgraded hash; "
                "run `edoc audit rekey` once after upgrading)",
            )
        if not hmac.compare_digest(compute_hash(event, key), event.hash):
            return checked, ChainProblem(
                event.seq, event.id, "content does not match its keyed hash"
            )
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


@dataclass(frozen=True)
class Rekeyed:
    """What :func:`rekey` did: the rows re-sealed, and the old chain's length and head."""

    rows: int
    legacy_seq: int
    legacy_head: str


def rekey(actor: Actor) -> Rekeyed:
    """Re-seal, once, a chain begun before the audit key existed (``edoc audit rekey``).

    Why re-seal rather than keep the old rows as they are: a plain SHA-256 row can be recomputed
    by anyone with write access, so a chain that still accepts them protects nothing before the
    first keyed row; and one uniform chain means ``verify`` needs no "trusted until" boundary an
    attacker could move. The old chain is checked first (a broken one is reported, never
    re-sealed), and its length and head are kept in the ``audit.rekeyed`` entry (and in the
    first signed checkpoint), so the pre-key state stays provable.
    """
    key = audit_key()
    db.session.execute(  # the head row's lock keeps appends out until this commits
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq)
    )
    expected_prev, expected_seq, legacy_head = GENESIS_HASH, 1, GENESIS_HASH
    for event in _iter_events(1000):
        ok = event.hash == compute_hash(event, key)
        if event.seq != expected_seq or event.prev_hash != expected_prev or not ok:
            raise ValueError(f"the audit chain is broken at row seq={event.seq}; not re-sealed")
        expected_prev, expected_seq = event.hash, expected_seq + 1
        legacy_head = event.hash
    legacy_seq = expected_seq - 1
    with _append_only_suspended():
        previous, rows = GENESIS_HASH, 0
        for event in _iter_events(1000):
            event.prev_hash = previous
            event.hash_version = KEYED_HMAC
            event.hash = compute_hash(event, key)
            previous = event.hash
            rows += 1
            db.session.flush()
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=previous))
    record(
        "audit.rekeyed",
        actor=actor,
        rows=rows,
        legacy_seq=legacy_seq,
        legacy_sha256_head=legacy_head,
    )
    return Rekeyed(rows, legacy_seq, legacy_head)


@contextmanager
def _append_only_suspended() -> Iterator[None]:
    """Lift the append-only triggers for this transaction only (re-sealing rewrites rows)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        yield
        db.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))
        return
    name = "audit_events_no_update"
    definition = db.session.scalar(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"), {"n": name}
    )
    db.session.execute(text(f"DROP TRIGGER {name}"))
    yield
    db.session.execute(text(definition))
