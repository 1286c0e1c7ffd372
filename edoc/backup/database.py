"""The database half of a backup: a consistent dump and its restore, per engine.

SQLite is copied page by page through its online backup API, so a copy taken while the server
writes is still one consistent snapshot (a plain file copy of a WAL database is not).
PostgreSQL is dumped by ``pg_dump`` in its custom format: one repeatable-read snapshot, and
``pg_restore`` can replay it in a single transaction. Both run while edoc serves.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, Engine

from edoc.core.extensions import db

SQLITE_DUMP = "database.sqlite3"
POSTGRES_DUMP = "database.pgdump"
#: pg_dump/pg_restore of a province's database takes minutes; hours mean something is stuck.
PG_TOOL_TIMEOUT_SECONDS = 6 * 3600
#: Tables that hold what people did: any row in one of them makes an installation "in use".
ACTIVITY_TABLES = ("users", "documents", "audit_events")


class DatabaseToolError(RuntimeError):
    """pg_dump or pg_restore failed; the message carries its last lines of output."""


def engine_kind() -> str:
    return "sqlite" if db.engine.dialect.name == "sqlite" else "postgresql"


def dump_file_name(kind: str) -> str:
    return SQLITE_DUMP if kind == "sqlite" else POSTGRES_DUMP


def _model_tables(present: set[str]) -> list[str]:
    """edoc's own tables, without the search library's (rebuilt by the reindex after a restore;
    SQLite's full-text tables cannot even be counted with a plain scan)."""
    return sorted(present & {*db.metadata.tables, "alembic_version"})


def _count(connection: Connection, names: list[str]) -> dict[str, int]:
    return {
        name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        for name in names
    }


def table_counts() -> dict[str, int]:
    """Rows per table of edoc's models (what the restore compares with the manifest)."""
    with db.engine.connect() as connection:
        return _count(connection, _model_tables(set(inspect(db.engine).get_table_names())))


def installation_in_use() -> dict[str, int]:
    """The activity tables that have rows ({} for a new or freshly migrated installation)."""
    present = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as connection:
        counts = {
            name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in ACTIVITY_TABLES
            if name in present
        }
    return {name: count for name, count in counts.items() if count}


def alembic_revision() -> str | None:
    if "alembic_version" not in inspect(db.engine).get_table_names():
        return None
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def postgres_schema() -> str:
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT current_schema()")).scalar() or "public"


def dump(target: Path) -> dict[str, int]:
    """Write a consistent dump of the configured database to ``target``; the rows per table
    *of that dump* (counted in the copy, or in the snapshot pg_dump was given), so a server
    writing meanwhile cannot make the manifest disagree with the dump."""
    if engine_kind() == "sqlite":
        _sqlite_copy(_sqlite_path(db.engine), target, "DELETE")
        copy = create_engine(f"sqlite:///{target}")
        try:
            with copy.connect() as connection:
                return _count(connection, _model_tables(set(inspect(copy).get_table_names())))
        finally:
            copy.dispose()
    schema = postgres_schema()
    names = _model_tables(set(inspect(db.engine).get_table_names()))
    # A read-only transaction held while pg_dump runs: the exported snapshot must stay valid
    # until pg_dump has imported it (pg_dump holds one as long itself; no row is locked).
    engine = db.engine.execution_options(isolation_level="REPEATABLE READ")
    with engine.connect() as connection, connection.begin():
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts = _count(connection, names)
        _pg_dump(db.engine.url, schema, target, snapshot)
    return counts


def restore(source: Path, kind: str) -> None:
    """Replace the configured database's content with the dump at ``source`` (all or nothing).

    The caller has checked the installation is not in use; the app's pooled connections are
    closed first so nothing holds the old schema open.
    """
    db.session.remove()
    db.engine.dispose()
    if kind == "sqlite":
        _sqlite_copy(source, _sqlite_path(db.engine), "WAL")
    else:
        _pg_restore(db.engine.url, source)
    db.engine.dispose()


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise DatabaseToolError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_copy(source: Path, target: Path, journal_mode: str) -> None:
    """SQLite's online backup: the target ends as an exact, consistent copy of the source (a
    backup copy is one self-contained file: journal DELETE; a restored database: WAL)."""
    source_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target_db = sqlite3.connect(target)
    try:
        source_db.backup(target_db, pages=1024)
        target_db.execute(f"PRAGMA journal_mode={journal_mode}")
    finally:
        target_db.close()
        source_db.close()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq URI of the database (password left out: it goes by PGPASSWORD, not argv)."""
    plain = url.set(drivername="postgresql", password=None)
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    try:
        result = subprocess.run(
            command,
            env=environment,
            capture_output=True,
            text=True,
            timeout=PG_TOOL_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise DatabaseToolError(
            f"{command[0]} not found: install the PostgreSQL client (postgresql-client) "
            "of the server's major version"
        ) from None
    except subprocess.TimeoutExpired:
        raise DatabaseToolError(f"{command[0]} did not finish in time") from None
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-8:])
        raise DatabaseToolError(f"{command[0]} failed (exit {result.returncode}): {tail}")


def _pg_dump(url: URL, schema: str, target: Path, snapshot: str) -> None:
    uri, environment = _libpq(url)
    _run(
        [
            "pg_dump",
            f"--snapshot={snapshot}",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--schema={schema}",
            f"--file={target}",
            f"--dbname={uri}",
        ],
        environment,
    )


def _pg_restore(url: URL, source: Path) -> None:
    """Drop what a freshly migrated schema holds and load the dump, in one transaction."""
    uri, environment = _libpq(url)
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={uri}",
            str(source),
        ],
        environment,
    )
