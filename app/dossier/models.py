"""Stored site dossiers: the manifest of what was sent to a manufacturer, not the files (those stay in evidence)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class SiteDossier(SQLModel, table=True):
    __tablename__ = "site_dossiers"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    number: str = Field(max_length=32, unique=True)  # GTD-2026-000123
    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True, ondelete="CASCADE")
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True, ondelete="CASCADE")
    product: str = Field(max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_by_name: str = Field(max_length=200)
    manifest: dict[str, Any] = Field(sa_type=JSON)
    # The index PDF is kept (WeasyPrint output is not byte-stable), so the zip rebuilds byte for byte from the
    # manifest, this PDF and the evidence files: zip_sha256 holds for every later download.
    index_pdf: bytes = Field(sa_type=LargeBinary)
    zip_sha256: str = Field(max_length=64, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    sent_by_name: str | None = Field(default=None, max_length=200)
