"""dossier retention, legal hold, disposal"""

import sqlalchemy as sa
from alembic import op

revision = "90675564ba4f"
down_revision = "e3b3efd595ec"


def upgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_hold_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('disposed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('disposal_decision', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_column('disposal_decision')
        batch_op.drop_column('disposed_at')
        batch_op.drop_column('legal_hold_reason')
