"""Checklist libraries an institution authored itself (a workbook or YAML upload), one row per version.

Shipped libraries stay read-only files under checklists/; these live in the database, visible to their
institution only, and join the shipped ones wherever a program of that institution looks up its library."""

import uuid
from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db import UTCDateTime


class InstitutionLibrary(SQLModel, table=True):
    """One uploaded version; `content` is the validated library as canonical JSON (sorted keys)."""

    __tablename__ = "institution_libraries"
    __table_args__ = (UniqueConstraint("institution_id", "library_id", "version"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True, ondelete="CASCADE")
    library_id: str = Field(max_length=100)
    version: str = Field(max_length=20)
    title: str = Field(max_length=4000)
    content: str = Field(sa_type=Text)
    source_sha256: str = Field(max_length=64)
    source_name: str = Field(max_length=200)
    uploaded_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
