"""Comments on items. A comment is never edited in place: an edit is a new version of the same thread, so what
was said, and when, stays on the record."""

import uuid
from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db import UTCDateTime


class Comment(SQLModel, table=True):
    """One version of a comment; the versions of one comment share `thread_id` (the first version's id)."""

    __tablename__ = "comments"
    __table_args__ = (UniqueConstraint("thread_id", "version"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    thread_id: uuid.UUID = Field(index=True)
    version: int = 1
    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True, ondelete="CASCADE")
    item_id: uuid.UUID = Field(foreign_key="program_items.id", index=True, ondelete="CASCADE")
    item_key: str = Field(max_length=40)
    author_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    author_name: str = Field(max_length=200)
    body: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CommentMention(SQLModel, table=True):
    """A member of the item's institution named in one version of a comment."""

    __tablename__ = "comment_mentions"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    comment_id: uuid.UUID = Field(foreign_key="comments.id", index=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
