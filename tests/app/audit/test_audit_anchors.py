"""The audit chain depends on things outside the database: the audit key and signed checkpoints.

The attacker here has full write access to the database (drops the append-only triggers, edits
rows, recomputes hashes with plain SQL) but neither the audit key nor the agency token.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text

from edoc.audit.models import LEGACY_SHA256, AuditEvent, AuditHead
from edoc.audit.services import (
    _canonical,
    _payload,
    compute_hash,
    verify_chain,
)
from edoc.cli import cli
from edoc.core.clock import utcnow
from edoc.core.extensions import db
from signing import pki as labels
from signing.pki import DemoPKI
from tests.app.audit.chain import append, drop_append_only_triggers
from tests.fixtures.pki import Tokens


@pytest.fixture
def agency_app(
    app: Flask, demo_pki: DemoPKI, softhsm_tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> Flask:
    """The app trusting the demo PKI, with the agency token on the server, and a TSA."""
    trust = app.config["EDOC"].data_dir / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    for label in (labels.ROOT, labels.ISSUING_CA):
        (trust / f"{label}.der").write_bytes(demo_pki.cert_der(label))
    monkeypatch.setenv("EDOC_AGENCY_TOKEN_MODULE", softhsm_tokens.module)
    monkeypatch.setenv("EDOC_AGENCY_TOKEN_LABEL", softhsm_tokens.agency_label)
    monkeypatch.setenv("EDOC_AGENCY_TOKEN_CERT_LABEL", labels.AGENCY)
    monkeypatch.setenv("EDOC_AGENCY_TOKEN_PIN", softhsm_tokens.agency_pin)
    app.config["EDOC"] = dataclasses.replace(app.config["EDOC"], tsa_url=demo_pki.tsa_url)
    return app


def _plain_hash(event: AuditEvent) -> str:
    """What an attacker who read the source but lacks the key computes: the published
    canonical form of the row, hashed with SHA-256."""
    return hashlib.sha256(_canonical(_payload(event)).encode()).hexdigest()


def _rewrite_from(seq: int, hash_version: int) -> None:
    """Edit row ``seq`` and recompute every later link with plain SQL, head included."""
    drop_append_only_triggers()
    db.session.execute(
        text("UPDATE audit_events SET details = :d WHERE seq = :s"), {"d": '{"n": 99}', "s": seq}
    )
    previous = db.session.scalar(
        text("SELECT hash FROM audit_events WHERE seq = :s"), {"s": seq - 1}
    )
    later = db.session.scalars(select(AuditEvent).where(AuditEvent.seq >= seq)).all()
    for event in sorted(later, key=lambda e: e.seq):
        event.prev_hash, event.hash_version = previous, hash_version
        previous = _plain_hash(event)
        db.session.execute(
            text(
                "UPDATE audit_events SET prev_hash = :p, hash = :h, hash_version = :v "
                "WHERE seq = :s"
            ),
            {"p": event.prev_hash, "h": previous, "v": hash_version, "s": event.seq},
        )
    db.session.expunge_all()
    db.session.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": previous})
    db.session.commit()


@pytest.mark.parametrize("hash_version", [2, LEGACY_SHA256])
def test_a_recomputed_chain_is_caught(app: Flask, hash_version: int) -> None:
    append(app, 5)
    with app.app_context():
        _rewrite_from(3, hash_version)
    result = app.test_cli_runner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at row seq=3" in result.output


def test_the_key_lives_outside_the_database(app: Flask) -> None:
    append(app, 1)
    key_file = app.config["EDOC"].data_dir / "audit_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    with app.app_context():
        event = db.session.get(AuditEvent, 1)
        assert event.hash == compute_hash(event)
        other = dataclasses.replace(app.config["EDOC"], audit_key="x" * 40)
        app.config["EDOC"] = other
        _, problem = verify_chain()
    assert problem is not None and problem.seq == 1 and "keyed hash" in problem.reason


def _checkpoints(app: Flask) -> list[Path]:
    return sorted((app.config["EDOC"].data_dir / "audit-checkpoints").glob("*.json"))


def test_checkpoint_is_signed_time_stamped_and_verified(agency_app: Flask) -> None:
    append(agency_app, 3)
    runner = agency_app.test_cli_runner()
    result = runner.invoke(cli, ["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    [path] = _checkpoints(agency_app)
    body = json.loads(path.read_text())
    assert body["seq"] == 4  # the three rows and the checkpoint's own entry
    assert path.with_suffix(".p7s").is_file()
    assert runner.invoke(cli, ["audit", "checkpoint"]).output.startswith("no new audit rows")
    from signing.detached import verify_detached

    check = verify_detached(
        path.read_bytes(),
        path.with_suffix(".p7s").read_bytes(),
        [p.read_bytes() for p in (agency_app.config["EDOC"].data_dir / "trust").iterdir()],
    )
    assert check.ok and check.timestamp is not None
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "1 signed checkpoints match (last at seq 4)" in result.output
    path.write_text(path.read_text().replace('"seq": 4', '"seq": 3'))
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "signature does not verify" in result.output


def test_a_removed_tail_is_caught_by_the_last_checkpoint(agency_app: Flask) -> None:
    append(agency_app, 5)
    assert agency_app.test_cli_runner().invoke(cli, ["audit", "checkpoint"]).exit_code == 0
    with agency_app.app_context():
        drop_append_only_triggers()
        db.session.execute(text("DELETE FROM audit_events WHERE seq > 3"))
        third = db.session.scalar(text("SELECT hash FROM audit_events WHERE seq = 3"))
        db.session.execute(text("UPDATE audit_head SET seq = 3, last_hash = :h"), {"h": third})
        db.session.commit()
        assert verify_chain() == (3, None)  # the chain alone cannot tell
    result = agency_app.test_cli_runner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "anchors row seq=6, which is missing (the log ends at seq 3)" in result.output


def test_the_worker_writes_checkpoints_naming_its_task(
    agency_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edoc.audit.tasks import checkpoint_task

    monkeypatch.setenv("SUDO_USER", "edoc-svc")
    append(agency_app, 2)
    with agency_app.app_context():
        assert checkpoint_task.call_local() is not None
        assert checkpoint_task.call_local() is None  # nothing new, and not yet due
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.action == "audit.checkpoint")
        )
        assert (event.command, event.operator) == ("task audit.checkpoint", "edoc-svc")


@pytest.mark.parametrize("command", [["audit", "rekey"], ["db", "upgrade"]])
def test_rekey_reseals_a_chain_made_before_the_key(agency_app: Flask, command: list[str]) -> None:
    with agency_app.app_context():  # rows as an older edoc wrote them: plain SHA-256
        head = db.session.get(AuditHead, 1)
        previous = head.last_hash
        for seq in (1, 2, 3):
            event = AuditEvent(
                seq=seq,
                at=utcnow(),
                actor_name="quantri",
                action="legacy.event",
                object_type="",
                object_id="",
                ip="",
                details={"n": seq},
                prev_hash=previous,
                hash_version=LEGACY_SHA256,
            )
            event.hash = compute_hash(event)
            db.session.add(event)
            previous = event.hash
        head.seq, head.last_hash = 3, previous
        db.session.commit()
        legacy_head = previous
    runner = agency_app.test_cli_runner()
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1 and "edoc audit rekey" in result.output
    assert runner.invoke(cli, ["audit", "checkpoint"]).exit_code == 1  # would go stale
    result = runner.invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert "audit log re-sealed with the audit key: 3 rows" in result.output
    [path] = _checkpoints(agency_app)
    assert json.loads(path.read_text())["legacy"] == {"seq": 3, "sha256_head": legacy_head}
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "4 rows verified" in result.output


def test_audit_key_settings(tmp_path: Path) -> None:
    from edoc.config import ConfigError, Settings

    base = {"EDOC_DATA_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match="EDOC_AUDIT_KEY: at least 32"):
        Settings.from_env(base | {"EDOC_AUDIT_KEY": "short"})
    with pytest.raises(ConfigError, match="EDOC_AUDIT_KEY_FILE: cannot read"):
        Settings.from_env(base | {"EDOC_AUDIT_KEY_FILE": str(tmp_path / "missing")})
    key_file = tmp_path / "kept-elsewhere"
    key_file.write_text("k" * 48 + "\n")
    settings = Settings.from_env(base | {"EDOC_AUDIT_KEY_FILE": str(key_file)})
    assert settings.audit_hmac_key() == b"k" * 48
    assert not (tmp_path / "audit_key").exists()  # no key of its own beside the named one
    generated = Settings.from_env(base).audit_hmac_key()
    assert len(generated) == 64 and (tmp_path / "audit_key").stat().st_mode & 0o777 == 0o600
    assert Settings.from_env(base).audit_hmac_key() == generated  # kept across restarts
