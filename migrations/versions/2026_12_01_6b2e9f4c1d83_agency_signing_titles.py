"""units: the agency's signing titles, collective name (TM.) and head's title (KT., Q., TL., TUQ.)

Revision ID: 6b2e9f4c1d83
Revises: b3e8f1c40a27
Create Date: 2026-12-01 21:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6b2e9f4c1d83"
down_revision: str | None = "b3e8f1c40a27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(
            sa.Column("collective_name", sa.String(255), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("head_title", sa.String(255), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.drop_column("head_title")
        batch.drop_column("collective_name")
