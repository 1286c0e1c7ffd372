"""units: the agency's signing titles, collective name (TM.) and head's title (KT., Q., TL., TUQ.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "6b2e9f4c1d83"
down_revision = "b3e8f1c40a27"


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
