"""directory: parent agency, level, contact details and a folded name for searching
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from search.analysis import fold

revision = "5d1e0a7b3c92"
down_revision = "e4c9a1b7d2f3"


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("level", sa.String(length=16), nullable=True))
        for name, length in (("address", 500), ("email", 255), ("phone", 64), ("folded", 300)):
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), server_default="", nullable=False)
            )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_organizations_parent_code"), ["parent_code"], unique=False
        )
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, code, name FROM organizations")).all()
    for row in rows:  # the agencies entered before: searchable without accents too
        connection.execute(
            sa.text("UPDATE organizations SET folded = :folded WHERE id = :id"),
            {"folded": fold(f"{row.name} {row.code}")[:300], "id": row.id},
        )


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organizations_parent_code"))
        for name in ("updated_at", "folded", "phone", "email", "address", "level", "parent_code"):
            batch_op.drop_column(name)
