"""Files attached to items as evidence: policies, rosters, SOPs, temperature logs, contracts."""

import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db import UTCDateTime


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True, ondelete="CASCADE")
    item_id: uuid.UUID = Field(foreign_key="program_items.id", index=True, ondelete="CASCADE")
    item_key: str = Field(max_length=40)
    kind: str = Field(max_length=40)
    original_name: str = Field(max_length=255)
    stored_name: str = Field(max_length=64)
    content_type: str = Field(max_length=100)
    size_bytes: int
    sha256: str = Field(max_length=64, index=True)
    uploaded_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    uploaded_by_name: str = Field(max_length=200)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_on: date | None = None
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
