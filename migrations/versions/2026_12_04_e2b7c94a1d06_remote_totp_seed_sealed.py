"""remote signing: the TOTP seed is sealed at rest (column renamed and widened)

The seed is now AES-GCM ciphertext under a key kept outside the database
(``edoc.remote_signing.seeds``). The migration cannot reach that key, so a row still holding a
plaintext seed keeps it under the new name and is sealed the first time it is used
(``services.totp_seed``); the renamed column makes any reader of the old name fail loudly.

Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "e2b7c94a1d06"
down_revision = "c5a1e7d93f20"


def upgrade() -> None:
    with op.batch_alter_table("remote_credentials") as batch:
        batch.alter_column(
            "totp_secret",
            new_column_name="totp_seed_sealed",
            existing_type=sa.String(length=64),
            type_=sa.String(length=160),
            existing_nullable=True,
        )


def downgrade() -> None:
    # Sealed seeds do not fit the old column and could not be read by the old code: leaders
    # re-enrol after a downgrade.
    op.execute("UPDATE remote_credentials SET totp_seed_sealed = NULL, totp_confirmed_at = NULL")
    with op.batch_alter_table("remote_credentials") as batch:
        batch.alter_column(
            "totp_seed_sealed",
            new_column_name="totp_secret",
            existing_type=sa.String(length=160),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
