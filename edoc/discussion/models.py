"""A message in a document's discussion thread."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.users.models import User


class DiscussionMessage(db.Model):
    """One message; ``mentioned_ids`` are the people its @mentions named (each may see the
    document: the service refuses a mention of anyone else). Messages are never edited, so a
    reader polling with ``after=<last id>`` misses nothing."""

    __tablename__ = "discussion_messages"
    __table_args__ = (Index("ix_discussion_messages_document", "document_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    mentioned_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
