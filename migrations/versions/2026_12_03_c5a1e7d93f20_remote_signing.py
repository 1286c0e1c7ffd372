"""remote signing: leaders' remote credentials (agency HSM or a CSC provider) and the SADs issued

Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "c5a1e7d93f20"
down_revision = "c3e8a5d1f927"


def upgrade() -> None:
    op.create_table(
        "remote_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("token_label", sa.String(length=64), nullable=False),
        sa.Column("cert_label", sa.String(length=64), nullable=False),
        sa.Column("certificate", sa.LargeBinary(), nullable=False),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("last_otp_step", sa.Integer(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_remote_credentials_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_credentials")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_remote_credentials_credential_id")),
    )
    with op.batch_alter_table("remote_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remote_credentials_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "remote_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("credential_pk", sa.Integer(), nullable=False),
        sa.Column("num_signatures", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_pk"],
            ["remote_credentials.id"],
            name=op.f("fk_remote_activations_credential_pk_remote_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_activations")),
        sa.UniqueConstraint("nonce", name=op.f("uq_remote_activations_nonce")),
    )
    with op.batch_alter_table("remote_activations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remote_activations_credential_pk"), ["credential_pk"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("remote_activations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_activations_credential_pk"))
    op.drop_table("remote_activations")
    with op.batch_alter_table("remote_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_credentials_user_id"))
    op.drop_table("remote_credentials")
