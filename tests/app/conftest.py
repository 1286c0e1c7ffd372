"""Application tests run on SQLite and PostgreSQL with the fixtures of tests/fixtures/app.py."""

from tests.fixtures.app import *  # noqa: F403
