"""exchange: a package's number/notation as wide as a document's (128)

Revision ID: a7f3c2e91b64
Revises: d516a4386695
Create Date: 2026-12-03 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7f3c2e91b64"
down_revision: str | None = "d516a4386695"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_messages") as batch:
        batch.alter_column(
            "code", existing_type=sa.String(length=100),
            type_=sa.String(length=128),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_messages") as batch:
        batch.alter_column(
            "code", existing_type=sa.String(length=128),
            type_=sa.String(length=100),
            existing_nullable=False,
        )
