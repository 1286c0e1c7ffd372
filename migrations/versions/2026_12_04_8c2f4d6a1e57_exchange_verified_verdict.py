"""exchange: a package's checks run in parallel and their results are applied in order per
sender; a checked package keeps its verdict (state ``verified``) until its turn
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8c2f4d6a1e57"
down_revision = "5d3f9b2e7a41"


def upgrade() -> None:
    with op.batch_alter_table("exchange_messages") as batch:
        batch.add_column(sa.Column("verdict", sa.JSON(), nullable=True))


def downgrade() -> None:
    # a package checked but not yet applied is checked again: nothing of it was applied
    op.execute(
        sa.text("UPDATE exchange_messages SET state = 'received' WHERE state = 'verified'")
    )
    with op.batch_alter_table("exchange_messages") as batch:
        batch.drop_column("verdict")
