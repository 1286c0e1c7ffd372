"""exchange: one row per message, direction and addressee (a hub forwards one package to each
member it names)
"""

from __future__ import annotations

from alembic import op

revision = "b3e8f1c40a27"
down_revision = "a7f3c2e91b64"


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
