"""outgoing documents"""

import sqlalchemy as sa
from alembic import op

revision = "35d276d794f3"
down_revision = "359a50f7fa73"


def upgrade() -> None:
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('code', name=op.f('uq_organizations_code'))
    )
    op.create_table('number_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_number_allocations_document_id_documents')),
    sa.ForeignKeyConstraint(['register_id'], ['registers.id'], name=op.f('fk_number_allocations_register_id_registers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_number_allocations')),
    sa.UniqueConstraint('register_id', 'year', 'number', name=op.f('uq_number_allocations_register_id'))
    )
    with op.batch_alter_table('number_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_number_allocations_document_id'), ['document_id'], unique=False)

    op.create_table('outgoing_documents',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('drafter_id', sa.Integer(), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=True),
    sa.Column('authority_prefix', sa.String(length=8), nullable=False),
    sa.Column('recipients', sa.Text(), nullable=False),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('legal_normative', sa.Boolean(), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=True),
    sa.Column('issued_year', sa.Integer(), nullable=True),
    sa.Column('issued_number', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('recall_reason', sa.Text(), nullable=False),
    sa.Column('recalled_at', sa.DateTime(), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_outgoing_documents_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['drafter_id'], ['users.id'], name=op.f('fk_outgoing_documents_drafter_id_users')),
    sa.ForeignKeyConstraint(['register_id'], ['registers.id'], name=op.f('fk_outgoing_documents_register_id_registers')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['documents.id'], name=op.f('fk_outgoing_documents_replaced_by_id_documents')),
    sa.ForeignKeyConstraint(['signer_id'], ['users.id'], name=op.f('fk_outgoing_documents_signer_id_users')),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_outgoing_documents'))
    )
    op.create_table('signing_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('prepared', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_signing_requests_document_id_documents')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_signing_requests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_requests'))
    )
    with op.batch_alter_table('signing_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signing_requests_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signing_requests_user_id'), ['user_id'], unique=False)

    op.create_table('dispatches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=255), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('incoming_document_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_documents.document_id'], name=op.f('fk_dispatches_document_id_outgoing_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['incoming_document_id'], ['documents.id'], name=op.f('fk_dispatches_incoming_document_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatches'))
    )
    op.create_table('draft_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_draft_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_documents.document_id'], name=op.f('fk_draft_versions_document_id_outgoing_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_versions')),
    sa.UniqueConstraint('document_id', 'number', name=op.f('uq_draft_versions_document_id'))
    )
    with op.batch_alter_table('draft_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_versions_sha256'), ['sha256'], unique=False)

    op.create_table('review_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_comments_author_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_documents.document_id'], name=op.f('fk_review_comments_document_id_outgoing_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_comments'))
    )


def downgrade() -> None:
    op.drop_table('review_comments')
    with op.batch_alter_table('draft_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_versions_sha256'))

    op.drop_table('draft_versions')
    op.drop_table('dispatches')
    with op.batch_alter_table('signing_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signing_requests_user_id'))
        batch_op.drop_index(batch_op.f('ix_signing_requests_document_id'))

    op.drop_table('signing_requests')
    op.drop_table('outgoing_documents')
    with op.batch_alter_table('number_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_number_allocations_document_id'))

    op.drop_table('number_allocations')
    op.drop_table('organizations')
