"""drafts leave the search index

Outgoing documents are indexed only once issued (edoc.search.indexing); an index built before
holds the drafts of the time. One outbox row per unissued outgoing document makes the worker's
next drain remove each from the index, whatever engine holds it.
"""

from alembic import op

revision = "b3d81c4e6f02"
down_revision = "a7c3e5d91b20"


def upgrade() -> None:
    op.execute(
        "INSERT INTO outbox (topic, document_id, attempts, last_error, created_at) "
        "SELECT 'search', id, 0, '', CURRENT_TIMESTAMP FROM documents "
        "WHERE direction = 'outgoing' AND status IN ('draft', 'submitted', 'signed')"
    )


def downgrade() -> None:
    pass  # the rows only ask for a re-index; nothing to undo
