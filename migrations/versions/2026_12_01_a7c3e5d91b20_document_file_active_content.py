"""document files and draft versions: active content found at check time

Revision ID: a7c3e5d91b20
Revises: 4f7f40100345
Create Date: 2026-12-01 11:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e5d91b20"
down_revision: str | None = "4f7f40100345"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_content", sa.JSON(), nullable=True))
    with op.batch_alter_table("draft_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_content", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draft_versions", schema=None) as batch_op:
        batch_op.drop_column("active_content")
    with op.batch_alter_table("document_files", schema=None) as batch_op:
        batch_op.drop_column("active_content")
