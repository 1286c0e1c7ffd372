from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from edoc.audit.models import AuditEvent
from edoc.audit.services import Operator, record, verify_chain
from edoc.cli import cli
from edoc.core.extensions import db

TEST_OPERATOR = Operator(command="pytest", operator="tester")


def _append(app: Flask, count: int) -> None:
    with app.app_context():
        for index in range(count):
            record(
                "test.event",
                actor=TEST_OPERATOR,
                object_type="document",
                object_id=index,
                n=index,
            )
            db.session.commit()


def _drop_append_only_triggers() -> None:
    """What a DBA with full rights could do; the hash chain must still catch the edit."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        db.session.execute(text("DROP TRIGGER audit_events_no_update"))
        db.session.execute(text("DROP TRIGGER audit_events_no_delete"))
    db.session.commit()


def test_chain_verifies(app: Flask) -> None:
    _append(app, 5)
    result = app.test_cli_runner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "5 rows verified" in result.output


def test_update_is_refused_by_the_database(app: Flask) -> None:
    _append(app, 2)
    with app.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("UPDATE audit_events SET action = 'x' WHERE seq = 1"))
        db.session.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("DELETE FROM audit_events WHERE seq = 1"))
        db.session.rollback()


def test_tampered_row_is_named_by_verify(app: Flask) -> None:
    _append(app, 5)
    with app.app_context():
        _drop_append_only_triggers()
        db.session.execute(
            text("UPDATE audit_events SET details = :d WHERE seq = 3"), {"d": '{"n": 99}'}
        )
        db.session.commit()
    result = app.test_cli_runner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at row seq=3" in result.output
    assert "content does not match its keyed hash" in result.output


def test_deleted_row_is_detected(app: Flask) -> None:
    _append(app, 4)
    with app.app_context():
        _drop_append_only_triggers()
        db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        db.session.commit()
        _, problem = verify_chain()
    assert problem is not None and problem.seq == 2 and "missing" in problem.reason


def test_deleted_tail_is_detected(app: Flask) -> None:
    _append(app, 4)
    with app.app_context():
        _drop_append_only_triggers()
        db.session.execute(text("DELETE FROM audit_events WHERE seq = 4"))
        db.session.commit()
        checked, problem = verify_chain()
    assert checked == 3
    assert problem is not None and "end of the log" in problem.reason


def test_concurrent_appends_keep_one_chain(app: Flask) -> None:
    threads = [threading.Thread(target=_append, args=(app, 10)) for _ in range(4)]
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
