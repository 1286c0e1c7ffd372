"""Writing to, and tampering with, the audit chain in tests."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from edoc.audit.services import Operator, record
from edoc.core.extensions import db

TEST_OPERATOR = Operator(command="pytest", operator="tester")


def append(app: Flask, count: int) -> None:
    """``count`` entries, each committed on its own as ``count`` requests would."""
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


def drop_append_only_triggers() -> None:
    """What a DBA with full rights could do; the hash chain must still catch the edit."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        db.session.execute(text("DROP TRIGGER audit_events_no_update"))
        db.session.execute(text("DROP TRIGGER audit_events_no_delete"))
    db.session.commit()
