from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import text

from edoc.app import create_app
from edoc.core.extensions import db
from edoc.core.migrate import alembic_config, upgrade
from edoc.models import metadata, owned_by_migrations
from tests.fixtures.app import _settings


def test_models_match_the_migrations(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": owned_by_migrations}
        )
        assert compare_metadata(context, metadata) == []


def test_drafts_indexed_before_are_queued_to_leave_the_index(tmp_path: Path) -> None:
    """Outgoing documents are indexed only once issued; the upgrade asks the worker to remove
    the drafts an older edoc indexed (one outbox row each), and leaves issued ones alone."""
    app = create_app(_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'old.db'}"))
    with app.app_context():
        upgrade("a7c3e5d91b20")
        for number, status in enumerate(["draft", "submitted", "signed", "issued"], start=1):
            db.session.execute(
                text(
                    "INSERT INTO documents (id, direction, status, number_notation, doc_type_code,"
                    " subject, issuer_org, signer_name, signer_title, urgency, secrecy,"
                    " created_at, updated_at) VALUES (:id, 'outgoing', :status, '', 'TTr',"
                    " 'Tờ trình', '', '', '', 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": number, "status": status},
            )
        db.session.commit()
        upgrade()
        queued = db.session.execute(text("SELECT topic, document_id FROM outbox")).all()
        assert sorted(queued) == [("search", 1), ("search", 2), ("search", 3)]
        db.engine.dispose()


def test_a_table_sqlite_rebuilds_keeps_the_rows_that_refer_to_it(tmp_path: Path) -> None:
    """SQLite alters a table by copying it and dropping the old one: with foreign keys on, the
    drop would delete, by ON DELETE CASCADE, every status event of every exchange message."""
    app = create_app(_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'old.db'}"))
    with app.app_context():
        upgrade("d516a4386695")  # before a7f3c2e91b64 rebuilds exchange_messages
        db.session.execute(
            text(
                "INSERT INTO exchange_messages (id, message_id, direction, kind, business_type,"
                " from_organ, to_organ, code, edxml_document_id, subject, status_code,"
                " package_size, state, attempts, last_error, created_at) VALUES (1, 'm-1',"
                " 'out', 'document', 0, 'A', 'B', '12/UBND-VP', 'd-1', 'Về việc', '',"
                " 10, 'delivered', 0, '', CURRENT_TIMESTAMP)"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO exchange_status_events (message_pk, status_code, description,"
                " arrival_number, occurred_at, received_at) VALUES (1, '01', 'Đã đến', '7',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        db.session.commit()
        upgrade()  # two revisions rebuild the table on the way
        events = db.session.execute(
            text("SELECT message_pk, status_code FROM exchange_status_events")
        )
        assert events.all() == [(1, "01")]
        db.session.rollback()  # ends the read, so the downgrade may write
        command.downgrade(alembic_config(), "5d3f9b2e7a41")  # rebuilds it once more
        events = db.session.execute(
            text("SELECT message_pk, status_code FROM exchange_status_events")
        )
        assert events.all() == [(1, "01")]
        db.session.rollback()
        upgrade()
        db.engine.dispose()
