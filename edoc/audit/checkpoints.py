"""Signed checkpoints: the audit chain's head, anchored outside the database.

The keyed hash stops someone who can write to the database but lacks the audit key. Checkpoints
stop the rest: every so often (``edoc audit checkpoint``, and the worker's periodic task) the
chain's length and head hash are written to a small JSON file in a directory outside the
database, signed with the agency key (the token or HSM that applies the agency seal, so not
even someone holding the database, the audit key and the data directory can forge one) and
time-stamped when a TSA is configured. ``edoc audit verify`` then checks each checkpoint's
signature and that the chain still has, at that row, the hash the checkpoint saw: a rewritten
or truncated chain no longer matches the last checkpoint taken before the change.

A file per checkpoint ``<seq>-<time>.json`` with its detached CMS signature ``….p7s``::

    {"format": "edoc-audit-checkpoint/1", "organ_id": "000.00.00.H30", "seq": 1234,
     "head_hash": "…", "at": "2026-12-01T10:00:00Z", "legacy": {…} (only the re-key one)}
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from edoc.audit.models import KEYED_HMAC, AuditEvent, AuditHead
from edoc.audit.services import Actor, ChainProblem, record
from edoc.core.agency_key import AgencySigner, agency_detached_signer, trusted_certificates
from edoc.core.atomic import write_atomically
from edoc.core.clock import utcnow
from edoc.core.extensions import db
from signing.detached import verify_detached

FORMAT = "edoc-audit-checkpoint/1"


class LegacyRowsPresent(RuntimeError):
    """Rows still carry the plain pre-key hash: a checkpoint now would go stale at re-key."""


#: The agency key as the checkpoints use it (the same adapter exchange seals packages with).
CheckpointSigner = AgencySigner


def agency_checkpoint_signer() -> CheckpointSigner:
    """The agency token that seals issued documents (raises ServiceUnavailable if none)."""
    return agency_detached_signer()


def checkpoint_dir() -> Path:
    return current_app.config["EDOC"].checkpoint_dir()


def _checkpoint_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def write_checkpoint(signer: CheckpointSigner, legacy: dict[str, Any] | None = None) -> Path | None:
    """Sign and write the chain's current head; None when nothing was appended since the last
    checkpoint (or the log is empty)."""
    _refuse_legacy_rows()
    head = db.session.get(AuditHead, 1)
    db.session.refresh(head)
    if head.seq == 0:
        return None
    directory = checkpoint_dir()
    files = _checkpoint_files(directory)
    if files and legacy is None:
        latest = json.loads(files[-1].read_text(encoding="utf-8"))
        if latest.get("seq") == head.seq and latest.get("head_hash") == head.last_hash:
            return None
    now = utcnow()
    body: dict[str, Any] = {
        "format": FORMAT,
        "organ_id": current_app.config["EDOC"].organ_id,
        "seq": head.seq,
        "head_hash": head.last_hash,
        "at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if legacy is not None:
        body["legacy"] = legacy
    data = json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True).encode()
    signature = signer.sign_detached(data)
    directory.mkdir(parents=True, exist_ok=True, mode=0o750)
    path = directory / f"{head.seq:012d}-{now:%Y%m%dT%H%M%S%fZ}.json"
    write_atomically(path.with_suffix(".p7s"), signature)
    write_atomically(path, data)  # the JSON last: a checkpoint without its signature is refused
    return path


def legacy_row_count() -> int:
    """Rows sealed before the audit key existed (plain SHA-256), waiting for ``rekey``."""
    return db.session.scalar(select(func.count()).where(AuditEvent.hash_version != KEYED_HMAC))


def _refuse_legacy_rows() -> None:
    legacy_rows = legacy_row_count()
    if legacy_rows:
        raise LegacyRowsPresent(
            f"{legacy_rows} audit rows predate the audit key: run `edoc audit rekey` first"
        )


def take_checkpoint(signer: CheckpointSigner, actor: Actor) -> Path | None:
    """Audit who asked, then write a checkpoint covering that entry too; nothing (no entry, no
    file) when no row was appended since the last checkpoint. Commits."""
    _refuse_legacy_rows()
    directory = checkpoint_dir()
    files = _checkpoint_files(directory)
    head = db.session.get(AuditHead, 1)
    db.session.refresh(head)
    if files and json.loads(files[-1].read_text(encoding="utf-8")).get("seq") == head.seq:
        return None
    if head.seq == 0:
        return None
    record("audit.checkpoint", actor=actor, directory=str(directory))
    # Committed before the slow signing: the entry is in the chain, the head's lock is free.
    db.session.commit()
    return write_checkpoint(signer)


def latest_checkpoint_age_minutes() -> float | None:
    files = _checkpoint_files(checkpoint_dir())
    if not files:
        return None
    return (time.time() - files[-1].stat().st_mtime) / 60


@dataclass(frozen=True)
class CheckpointReport:
    checked: int
    problems: list[ChainProblem]
    last_seq: int = 0


def verify_checkpoints() -> CheckpointReport:
    """Every checkpoint's signature, and the chain's hash at the row each one anchored."""
    trust = trusted_certificates()
    log_end = db.session.scalar(select(func.max(AuditEvent.seq))) or 0
    problems: list[ChainProblem] = []
    files = _checkpoint_files(checkpoint_dir())
    last_seq = 0
    for path in files:
        data = path.read_bytes()
        signature = path.with_suffix(".p7s")
        try:
            body = json.loads(data)
            seq, head_hash = int(body["seq"]), str(body["head_hash"])
            if body.get("format") != FORMAT:
                raise ValueError("unknown format")
        except (ValueError, KeyError, TypeError) as error:
            problems.append(ChainProblem(0, None, f"checkpoint {path.name} is unreadable: {error}"))
            continue
        if not signature.is_file():
            problems.append(ChainProblem(seq, None, f"checkpoint {path.name} has no signature"))
            continue
        try:
            check = verify_detached(data, signature.read_bytes(), trust)
        except Exception as error:  # a malformed CMS is as bad as a wrong one
            problems.append(
                ChainProblem(seq, None, f"checkpoint {path.name}: unreadable signature ({error})")
            )
            continue
        if not (check.intact and check.valid):
            problems.append(
                ChainProblem(seq, None, f"checkpoint {path.name}: signature does not verify")
            )
            continue
        if not check.trusted:
            problems.append(
                ChainProblem(
                    seq, None, f"checkpoint {path.name}: signer {check.signer} is not trusted"
                )
            )
            continue
        last_seq = max(last_seq, seq)
        row = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == seq))
        if row is None:
            problems.append(
                ChainProblem(
                    seq,
                    None,
                    f"checkpoint {path.name} anchors row seq={seq}, which is missing "
                    f"(the log ends at seq {log_end}): rows were removed",
                )
            )
        elif row.hash != head_hash:
            problems.append(
                ChainProblem(
                    seq,
                    row.id,
                    f"checkpoint {path.name}: row seq={seq} no longer has the hash it had "
                    "(the chain was rewritten)",
                )
            )
    return CheckpointReport(len(files), problems, last_seq)
