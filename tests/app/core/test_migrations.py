from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import text

from edoc.app import create_app
from edoc.core.extensions import db
from edoc.core.migrate import upgrade
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
