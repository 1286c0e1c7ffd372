"""audit: keyed chain (hash_version) and the command/operator of entries made outside a request

Existing rows keep their plain SHA-256 seal and are marked ``hash_version`` 1; rows written
from now on are HMAC-sealed (2). ``edoc audit verify`` refuses version-1 rows until the
operator runs ``edoc audit rekey`` once: it checks the old chain, anchors its head in a
signed checkpoint, then re-seals those rows with the key. That is not done here because a
migration must not need the agency token, and a broken old chain must be reported, not
silently re-sealed.
"""

import sqlalchemy as sa
from alembic import op

revision = "a7c3e9d1f2b4"
down_revision = "cd6d0ee94668"


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): on SQLite a table copy would drop the append-only
    # triggers of audit_events.
    op.add_column(
        "audit_events", sa.Column("command", sa.String(128), nullable=False, server_default="")
    )
    op.add_column(
        "audit_events", sa.Column("operator", sa.String(255), nullable=False, server_default="")
    )
    op.add_column(
        "audit_events",
        sa.Column("hash_version", sa.SmallInteger(), nullable=False, server_default="1"),
    )


def downgrade() -> None:
    for name in ("hash_version", "operator", "command"):
        op.drop_column("audit_events", name)
