"""Private calendar feeds: a secret address a calendar application polls. Only a hash of the secret is stored."""

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db import UTCDateTime


class CalendarFeed(SQLModel, table=True):
    """A person's feed (`scope` "personal": their items' due dates and their sign-offs' lapse dates) or a
    program's feed for its champions (`scope` "program": every item of the program)."""

    __tablename__ = "calendar_feeds"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    scope: str = Field(sa_type=String(16))
    program_id: uuid.UUID | None = Field(default=None, foreign_key="programs.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
