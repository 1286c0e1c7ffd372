"""legacy_rows: the ledger of register rows brought in from an old system

Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "c3e8a5d1f927"
down_revision = "7b1adc0fb848"


def upgrade() -> None:
    op.create_table(
        "legacy_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_legacy_rows_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legacy_rows")),
        sa.UniqueConstraint("key", name=op.f("uq_legacy_rows_key")),
    )
    with op.batch_alter_table("legacy_rows", schema=None) as batch_op:
        batch_op.create_index(
            "ix_legacy_rows_source", ["source_sha256", "row_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("legacy_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_legacy_rows_source")
    op.drop_table("legacy_rows")
