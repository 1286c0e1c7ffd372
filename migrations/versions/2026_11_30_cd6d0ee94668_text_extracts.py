"""text extracts"""

import sqlalchemy as sa
from alembic import op

revision = "cd6d0ee94668"
down_revision = "90675564ba4f"


def upgrade() -> None:
    op.create_table('text_extracts',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('ocr_pages', sa.Integer(), nullable=False),
    sa.Column('ocr_sha256', sa.String(length=64), nullable=True),
    sa.Column('error_code', sa.String(length=32), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_text_extracts'))
    )
    with op.batch_alter_table('text_extracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_text_extracts_ocr_sha256'), ['ocr_sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('text_extracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_text_extracts_ocr_sha256'))

    op.drop_table('text_extracts')
