"""Committees an institution names in approval chains (P&T, MEC, ...), and their members."""

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db import UTCDateTime


class Committee(SQLModel, table=True):
    __tablename__ = "committees"
    __table_args__ = (UniqueConstraint("institution_id", "slug"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True, ondelete="CASCADE")
    slug: str = Field(max_length=40)  # what a library's approval chain names, e.g. "pt"
    name: str = Field(max_length=200)
    chair_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CommitteeMember(SQLModel, table=True):
    __tablename__ = "committee_members"

    committee_id: uuid.UUID = Field(foreign_key="committees.id", primary_key=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True, index=True, ondelete="CASCADE")
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
