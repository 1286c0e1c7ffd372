"""exchange: peers, packages in/out/forwarded and their status timelines (edXML)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e4c9a1b7d2f3"
down_revision = "c41e7d2a9b15"


def upgrade() -> None:
    op.create_table(
        "exchange_peers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organ_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_peers")),
        sa.UniqueConstraint("organ_code", name=op.f("uq_exchange_peers_organ_code")),
    )
    op.create_table(
        "exchange_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("business_type", sa.Integer(), nullable=False),
        sa.Column("from_organ", sa.String(length=32), nullable=False),
        sa.Column("to_organ", sa.String(length=32), nullable=False),
        sa.Column("hop", sa.String(length=32), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("dispatch_id", sa.Integer(), nullable=True),
        sa.Column("about_message_id", sa.String(length=64), nullable=True),
        sa.Column("replaces_message_id", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("promulgation_date", sa.Date(), nullable=True),
        sa.Column("edxml_document_id", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("status_code", sa.String(length=2), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=True),
        sa.Column("package_size", sa.Integer(), nullable=False),
        sa.Column("verification", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=36), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatches.id"],
            name=op.f("fk_exchange_messages_dispatch_id_dispatches"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_exchange_messages_document_id_documents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_messages")),
        sa.UniqueConstraint("message_id", "direction", name="uq_exchange_messages_id_direction"),
    )
    with op.batch_alter_table("exchange_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_messages_about_message_id"), ["about_message_id"]
        )
        batch_op.create_index(batch_op.f("ix_exchange_messages_dispatch_id"), ["dispatch_id"])
        batch_op.create_index(batch_op.f("ix_exchange_messages_document_id"), ["document_id"])
        batch_op.create_index("ix_exchange_messages_queue", ["direction", "state", "hop"])
    op.create_table(
        "exchange_status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_pk", sa.Integer(), nullable=False),
        sa.Column("status_message_id", sa.String(length=64), nullable=True),
        sa.Column("status_code", sa.String(length=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("arrival_number", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_pk"],
            ["exchange_messages.id"],
            name=op.f("fk_exchange_status_events_message_pk_exchange_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_status_events")),
    )
    with op.batch_alter_table("exchange_status_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_status_events_message_pk"), ["message_pk"])


def downgrade() -> None:
    op.drop_table("exchange_status_events")
    op.drop_table("exchange_messages")
    op.drop_table("exchange_peers")
