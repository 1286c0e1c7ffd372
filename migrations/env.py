"""Alembic environment: the URL comes from the edoc configuration (see edoc.core.migrate)."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine, event, pool, text

from edoc.core.db import configure_sqlite
from edoc.models import metadata, owned_by_migrations

config = context.config


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        include_name=owned_by_migrations,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _sqlite_keys_off_while_migrating(engine: Any) -> None:
    """SQLite changes a table by copying it and dropping the old one; with foreign keys on,
    that drop deletes (ON DELETE CASCADE) every row that refers to it, in other tables too.
    So keys are off while migrating (the pragma must be set outside a transaction) and
    checked once the revisions have run."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _keys_off(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def _foreign_keys_hold(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    broken = connection.execute(text("PRAGMA foreign_key_check")).all()
    if broken:
        raise RuntimeError(f"the migration left rows whose references are gone: {broken[:10]}")


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    configure_sqlite(engine)
    _sqlite_keys_off_while_migrating(engine)  # after configure_sqlite's listener, which sets ON
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_name=owned_by_migrations,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            _foreign_keys_hold(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
