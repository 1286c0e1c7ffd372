"""exchange: a package's number/notation as wide as a document's (128)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7f3c2e91b64"
down_revision = "d516a4386695"


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
