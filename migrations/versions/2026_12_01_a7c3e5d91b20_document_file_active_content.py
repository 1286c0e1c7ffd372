"""document files and draft versions: active content found at check time"""

import sqlalchemy as sa
from alembic import op

revision = "a7c3e5d91b20"
down_revision = "4f7f40100345"


def upgrade() -> None:
    with op.batch_alter_table("document_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_content", sa.JSON(), nullable=True))
    with op.batch_alter_table("draft_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_content", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("draft_versions", schema=None) as batch_op:
        batch_op.drop_column("active_content")
    with op.batch_alter_table("document_files", schema=None) as batch_op:
        batch_op.drop_column("active_content")
