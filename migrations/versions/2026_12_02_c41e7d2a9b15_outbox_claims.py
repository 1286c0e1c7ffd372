"""outbox: the drain that claimed a row, and until when (concurrent drains)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c41e7d2a9b15"
down_revision = "b3d81c4e6f02"


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
