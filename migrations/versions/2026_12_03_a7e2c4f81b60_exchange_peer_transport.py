"""exchange: each peer names the transport that carries packages to it (http by default)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7e2c4f81b60"
down_revision = "e2b7c94a1d06"


def upgrade() -> None:
    with op.batch_alter_table("exchange_peers") as batch:
        batch.add_column(
            sa.Column("transport", sa.String(length=16), nullable=False, server_default="http")
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_peers") as batch:
        batch.drop_column("transport")
