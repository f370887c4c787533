"""An institution's branding of its reports: a logo (stored re-encoded as PNG), a name line and two colours."""

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime

DEFAULT_PRIMARY = "#174a6d"
DEFAULT_ACCENT = "#1f5f8b"


class InstitutionBranding(SQLModel, table=True):
    __tablename__ = "institution_branding"

    institution_id: uuid.UUID = Field(foreign_key="institutions.id", primary_key=True, ondelete="CASCADE")
    name_line: str = Field(default="", max_length=200)
    primary_colour: str = Field(default=DEFAULT_PRIMARY, sa_type=String(7))
    accent_colour: str = Field(default=DEFAULT_ACCENT, sa_type=String(7))
    logo_png: bytes | None = Field(default=None, sa_type=LargeBinary)
    logo_sha256: str | None = Field(default=None, max_length=64)
    logo_width: int | None = None
    logo_height: int | None = None
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
