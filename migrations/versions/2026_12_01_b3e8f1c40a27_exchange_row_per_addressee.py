"""exchange: one row per message, direction and addressee (a hub forwards one package to each
member it names)

Revision ID: b3e8f1c40a27
Revises: a7f3c2e91b64
Create Date: 2026-12-01 21:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "b3e8f1c40a27"
down_revision: str | None = "a7f3c2e91b64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_messages") as batch:
        batch.drop_constraint("uq_exchange_messages_id_direction", type_="unique")
        batch.create_unique_constraint(
            "uq_exchange_messages_id_direction_to", ["message_id", "direction", "to_organ"]
        )


def downgrade() -> None:
    with op.batch_alter_table("exchange_messages") as batch:
        batch.drop_constraint("uq_exchange_messages_id_direction_to", type_="unique")
        batch.create_unique_constraint(
            "uq_exchange_messages_id_direction", ["message_id", "direction"]
        )
