from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from edoc.audit.models import AuditEvent
from edoc.audit.services import record, verify_chain
from edoc.cli import cli
from edoc.core.extensions import db
from tests.app.audit.chain import TEST_OPERATOR, append, drop_append_only_triggers


def test_chain_verifies(app: Flask) -> None:
    append(app, 5)
    result = app.test_cli_runner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "5 rows verified" in result.output


def test_update_is_refused_by_the_database(app: Flask) -> None:
    append(app, 2)
    with app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("UPDATE audit_events SET action = 'x' WHERE seq = 1"))
        db.session.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("DELETE FROM audit_events WHERE seq = 1"))
        db.session.rollback()


def test_tampered_row_is_named_by_verify(app: Flask) -> None:
    append(app, 5)
    with app.app_context():
        drop_append_only_triggers()
        db.session.execute(
            text("UPDATE audit_events SET details = :d WHERE seq = 3"), {"d": '{"n": 99}'}
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at row seq=3" in result.output
    assert "content does not match its keyed hash" in result.output


@pytest.mark.parametrize(
    ("deleted", "intact", "reason"), [(2, 1, "is missing"), (4, 3, "end of the log")]
)
def test_a_deleted_row_is_detected(app: Flask, deleted: int, intact: int, reason: str) -> None:
    append(app, 4)
    with app.app_context():
        drop_append_only_triggers()
        db.session.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": deleted})
        db.session.commit()
        checked, problem = verify_chain()
    assert checked == intact
    assert problem is not None and problem.seq == deleted and reason in problem.reason


def test_concurrent_appends_keep_one_chain(app: Flask) -> None:
    threads = [threading.Thread(target=append, args=(app, 10)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        checked, problem = verify_chain()
        seqs = list(db.session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert problem is None
    assert checked == 40
    assert seqs == list(range(1, 41))


def test_secrets_never_reach_the_log(app: Flask) -> None:
    with app.app_context():
        event = record(
            "test.secret",
            actor=TEST_OPERATOR,
            password="hunter2",
            pin_code="1234",
            ok=1,
        )
        db.session.commit()
        assert event.details == {"password": "***", "pin_code": "***", "ok": 1}
