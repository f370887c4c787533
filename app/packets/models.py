"""Packet definitions an institution adapted: every upload kept, the newest of a kind in force."""

import uuid
from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class PacketDefinitionRecord(SQLModel, table=True):
    __tablename__ = "packet_definitions"
    __table_args__ = (UniqueConstraint("institution_id", "kind", "number"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(16))
    number: int  # 1, 2, ... per institution and kind
    yaml: str = Field(sa_type=Text)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_by_name: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
