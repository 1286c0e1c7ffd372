from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from edoc.extensions import db
from edoc.models import metadata, owned_by_migrations


def test_models_match_the_migrations(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": owned_by_migrations}
        )
        assert compare_metadata(context, metadata) == []
