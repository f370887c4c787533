"""Institutions, their gene-therapy programs, and the tracked readiness items of each program.

An item keeps a snapshot of its library definition, so a program reads the same whatever library files
ship later; a library upgrade is an explicit, diffed step.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db import UTCDateTime


class ItemStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"  # work finished, awaiting sign-off
    SIGNED_OFF = "signed_off"
    NOT_APPLICABLE = "not_applicable"


class Institution(SQLModel, table=True):
    __tablename__ = "institutions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The IANA zone pages, exports, reports and emails show times in (app/formatting.py); the database keeps UTC.
    time_zone: str = Field(default="UTC", max_length=64, sa_column_kwargs={"server_default": "UTC"})


class Program(SQLModel, table=True):
    __tablename__ = "programs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=200)
    products: list[str] = Field(sa_type=JSON)
    care_role: str = Field(sa_type=String(16))
    # Which rules apply (payer, label, registry); old archives and rows without one were all US programs.
    jurisdiction: str = Field(default="us", sa_type=String(16), sa_column_kwargs={"server_default": "us"})
    library_id: str = Field(max_length=100)
    library_version: str = Field(max_length=32)
    areas: list[dict[str, Any]] = Field(sa_type=JSON)  # [{"id", "title"}], in display order
    first_patient_target: date | None = None  # the champion's aim for the first dose; the projection warns past it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProgramItem(SQLModel, table=True):
    __tablename__ = "program_items"
    __table_args__ = (
        UniqueConstraint("program_id", "key"),
        Index("ix_program_items_program_area_position", "program_id", "area", "position"),
        Index("ix_program_items_owner_id", "owner_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    program_id: uuid.UUID = Field(foreign_key="programs.id", ondelete="CASCADE")
    key: str = Field(max_length=40)  # the library's stable item id, e.g. PHARM-012
    position: int

    # Snapshot of the library definition.
    area: str = Field(max_length=40)
    title: str = Field(max_length=200)
    done_when: str = Field(sa_type=Text)
    why: str = Field(sa_type=Text)
    criticality: str = Field(sa_type=String(16))
    weight: int
    signoff_role: str = Field(sa_type=String(32))
    evidence_kinds: list[str] = Field(default_factory=list, sa_type=JSON)
    depends_on: list[str] = Field(default_factory=list, sa_type=JSON)
    renewal_months: int | None = None
    references: list[str] = Field(default_factory=list, sa_type=JSON)
    # [{"role" | "committee": ..., "meaning": ...}] in order; None: one signature by signoff_role
    approval_chain: list[dict[str, str]] | None = Field(default=None, sa_type=JSON(none_as_null=True))

    # Tracked state.
    status: str = Field(default=ItemStatus.NOT_STARTED.value, sa_type=String(16))
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    due_date: date | None = None
    notes: str = Field(default="", sa_type=Text)
    na_justification: str | None = Field(default=None, sa_type=Text)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lapses_on: date | None = None  # when a renewal or evidence expiry makes the completion lapse
    retired: bool = False  # removed by a library upgrade, or a local item retired; kept, out of readiness
    # The program's own item (key LOC-001...), added by its champion rather than shipped in the library: library
    # upgrades leave it alone. Its phase is kept here; a library item's phase stays in the library.
    local: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    phase: str | None = Field(default=None, sa_type=String(16))
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retired_reason: str | None = Field(default=None, sa_type=Text)
    version: int = 1  # optimistic concurrency: every change increments it
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
