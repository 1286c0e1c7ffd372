"""documents, registers, incoming"""

import sqlalchemy as sa
from alembic import op

revision = "899417835f7a"
down_revision = "54e58a92edb9"


def upgrade() -> None:
    op.create_table('document_types',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('abbreviation', sa.String(length=16), nullable=False),
    sa.Column('legal_normative', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_document_types'))
    )
    op.create_table('registers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('secret', sa.Boolean(), nullable=False),
    sa.Column('doc_type_code', sa.String(length=16), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['doc_type_code'], ['document_types.code'], name=op.f('fk_registers_doc_type_code_document_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registers')),
    sa.UniqueConstraint('direction', 'code', name=op.f('uq_registers_direction'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('number_notation', sa.String(length=128), nullable=False),
    sa.Column('doc_type_code', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('issued_date', sa.Date(), nullable=True),
    sa.Column('issuer_org', sa.String(length=255), nullable=False),
    sa.Column('signer_name', sa.String(length=255), nullable=False),
    sa.Column('signer_title', sa.String(length=255), nullable=False),
    sa.Column('urgency', sa.Integer(), nullable=False),
    sa.Column('secrecy', sa.Integer(), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_documents_created_by_id_users')),
    sa.ForeignKeyConstraint(['doc_type_code'], ['document_types.code'], name=op.f('fk_documents_doc_type_code_document_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_direction_status', ['direction', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_number_notation'), ['number_notation'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_secrecy'), ['secrecy'], unique=False)

    op.create_table('register_counters',
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['register_id'], ['registers.id'], name=op.f('fk_register_counters_register_id_registers')),
    sa.PrimaryKeyConstraint('register_id', 'year', name=op.f('pk_register_counters'))
    )
    op.create_table('document_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=128), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('signature_report', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_files_document_id_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_files'))
    )
    with op.batch_alter_table('document_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_files_sha256'), ['sha256'], unique=False)

    op.create_table('incoming_documents',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('register_id', sa.Integer(), nullable=False),
    sa.Column('arrival_year', sa.Integer(), nullable=True),
    sa.Column('arrival_number', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=True),
    sa.Column('received_via', sa.String(length=16), nullable=False),
    sa.Column('recipient', sa.String(length=255), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('presented_to_id', sa.Integer(), nullable=True),
    sa.Column('presented_at', sa.DateTime(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=False),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_incoming_documents_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['presented_to_id'], ['users.id'], name=op.f('fk_incoming_documents_presented_to_id_users')),
    sa.ForeignKeyConstraint(['register_id'], ['registers.id'], name=op.f('fk_incoming_documents_register_id_registers')),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_incoming_documents')),
    sa.UniqueConstraint('register_id', 'arrival_year', 'arrival_number', name=op.f('uq_incoming_documents_register_id'))
    )
    with op.batch_alter_table('incoming_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incoming_documents_deadline'), ['deadline'], unique=False)
        batch_op.create_index('ix_incoming_received_at', ['received_at'], unique=False)

    op.create_table('incoming_routings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('directed_by_id', sa.Integer(), nullable=False),
    sa.Column('direction_text', sa.Text(), nullable=False),
    sa.Column('lead_unit_id', sa.Integer(), nullable=True),
    sa.Column('lead_user_id', sa.Integer(), nullable=True),
    sa.Column('cooperating_unit_ids', sa.JSON(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['directed_by_id'], ['users.id'], name=op.f('fk_incoming_routings_directed_by_id_users')),
    sa.ForeignKeyConstraint(['document_id'], ['incoming_documents.document_id'], name=op.f('fk_incoming_routings_document_id_incoming_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_unit_id'], ['units.id'], name=op.f('fk_incoming_routings_lead_unit_id_units')),
    sa.ForeignKeyConstraint(['lead_user_id'], ['users.id'], name=op.f('fk_incoming_routings_lead_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_routings'))
    )
    with op.batch_alter_table('incoming_routings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incoming_routings_document_id'), ['document_id'], unique=False)

    op.create_table('handling_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('routing_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_handling_tasks_document_id_documents')),
    sa.ForeignKeyConstraint(['routing_id'], ['incoming_routings.id'], name=op.f('fk_handling_tasks_routing_id_incoming_routings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_handling_tasks_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_handling_tasks_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handling_tasks'))
    )
    with op.batch_alter_table('handling_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handling_tasks_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handling_tasks_routing_id'), ['routing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handling_tasks_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handling_tasks_user_id'), ['user_id'], unique=False)

    op.create_table('handling_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_handling_notes_author_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['handling_tasks.id'], name=op.f('fk_handling_notes_task_id_handling_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handling_notes'))
    )
    # ND30 reference data, frozen as of this revision (edoc.documents.catalog may grow later).
    op.bulk_insert(
        sa.table(
            "document_types",
            sa.column("code", sa.String),
            sa.column("name", sa.String),
            sa.column("abbreviation", sa.String),
            sa.column("legal_normative", sa.Boolean),
        ),
        [
        {'code': 'CV', 'name': 'Công văn', 'abbreviation': '', 'legal_normative': False},
        {'code': 'NQ', 'name': 'Nghị quyết', 'abbreviation': 'NQ', 'legal_normative': True},
        {'code': 'QĐ', 'name': 'Quyết định', 'abbreviation': 'QĐ', 'legal_normative': True},
        {'code': 'CT', 'name': 'Chỉ thị', 'abbreviation': 'CT', 'legal_normative': True},
        {'code': 'QC', 'name': 'Quy chế', 'abbreviation': 'QC', 'legal_normative': False},
        {'code': 'QyĐ', 'name': 'Quy định', 'abbreviation': 'QyĐ', 'legal_normative': False},
        {'code': 'TC', 'name': 'Thông cáo', 'abbreviation': 'TC', 'legal_normative': False},
        {'code': 'TB', 'name': 'Thông báo', 'abbreviation': 'TB', 'legal_normative': False},
        {'code': 'HD', 'name': 'Hướng dẫn', 'abbreviation': 'HD', 'legal_normative': False},
        {'code': 'CTr', 'name': 'Chương trình', 'abbreviation': 'CTr', 'legal_normative': False},
        {'code': 'KH', 'name': 'Kế hoạch', 'abbreviation': 'KH', 'legal_normative': False},
        {'code': 'PA', 'name': 'Phương án', 'abbreviation': 'PA', 'legal_normative': False},
        {'code': 'ĐA', 'name': 'Đề án', 'abbreviation': 'ĐA', 'legal_normative': False},
        {'code': 'DA', 'name': 'Dự án', 'abbreviation': 'DA', 'legal_normative': False},
        {'code': 'BC', 'name': 'Báo cáo', 'abbreviation': 'BC', 'legal_normative': False},
        {'code': 'BB', 'name': 'Biên bản', 'abbreviation': 'BB', 'legal_normative': False},
        {'code': 'TTr', 'name': 'Tờ trình', 'abbreviation': 'TTr', 'legal_normative': False},
        {'code': 'HĐ', 'name': 'Hợp đồng', 'abbreviation': 'HĐ', 'legal_normative': False},
        {'code': 'CĐ', 'name': 'Công điện', 'abbreviation': 'CĐ', 'legal_normative': False},
        {'code': 'GUQ', 'name': 'Giấy ủy quyền', 'abbreviation': 'GUQ', 'legal_normative': False},
        {'code': 'GM', 'name': 'Giấy mời', 'abbreviation': 'GM', 'legal_normative': False},
        {'code': 'GGT', 'name': 'Giấy giới thiệu', 'abbreviation': 'GGT', 'legal_normative': False},
        {'code': 'PG', 'name': 'Phiếu gửi', 'abbreviation': 'PG', 'legal_normative': False},
        {'code': 'PC', 'name': 'Phiếu chuyển', 'abbreviation': 'PC', 'legal_normative': False},
        {'code': 'PB', 'name': 'Phiếu báo', 'abbreviation': 'PB', 'legal_normative': False},
        {'code': 'SY', 'name': 'Bản sao y', 'abbreviation': 'SY', 'legal_normative': False},
        {'code': 'SL', 'name': 'Bản sao lục', 'abbreviation': 'SL', 'legal_normative': False},
        {'code': 'TS', 'name': 'Bản trích sao', 'abbreviation': 'TS', 'legal_normative': False},
        ],
    )
    op.bulk_insert(
        sa.table(
            "registers",
            sa.column("direction", sa.String),
            sa.column("code", sa.String),
            sa.column("name", sa.String),
            sa.column("secret", sa.Boolean),
            sa.column("active", sa.Boolean),
        ),
        [
        {'direction': 'incoming', 'code': 'DEN', 'name': 'Sổ đăng ký văn bản đến', 'secret': False, 'active': True},
        {'direction': 'incoming', 'code': 'DEN-MAT', 'name': 'Sổ đăng ký văn bản đến mật', 'secret': True, 'active': True},
        {'direction': 'outgoing', 'code': 'DI', 'name': 'Sổ đăng ký văn bản đi', 'secret': False, 'active': True},
        {'direction': 'outgoing', 'code': 'DI-MAT', 'name': 'Sổ đăng ký văn bản đi mật', 'secret': True, 'active': True},
        ],
    )


def downgrade() -> None:
    op.drop_table('handling_notes')
    with op.batch_alter_table('handling_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handling_tasks_user_id'))
        batch_op.drop_index(batch_op.f('ix_handling_tasks_unit_id'))
        batch_op.drop_index(batch_op.f('ix_handling_tasks_routing_id'))
        batch_op.drop_index(batch_op.f('ix_handling_tasks_document_id'))

    op.drop_table('handling_tasks')
    with op.batch_alter_table('incoming_routings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incoming_routings_document_id'))

    op.drop_table('incoming_routings')
    with op.batch_alter_table('incoming_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_incoming_received_at')
        batch_op.drop_index(batch_op.f('ix_incoming_documents_deadline'))

    op.drop_table('incoming_documents')
    with op.batch_alter_table('document_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_files_sha256'))

    op.drop_table('document_files')
    op.drop_table('register_counters')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_secrecy'))
        batch_op.drop_index(batch_op.f('ix_documents_number_notation'))
        batch_op.drop_index('ix_documents_direction_status')

    op.drop_table('documents')
    op.drop_table('registers')
    op.drop_table('document_types')
