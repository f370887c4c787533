"""Stored readiness reports: immutable snapshots of the data and the PDF made from it.

Kept in the database (not the local disk) so every replica serves the same reports."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.reports.schemas import ReportJobState


class Report(SQLModel, table=True):
    __tablename__ = "reports"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    number: str = Field(max_length=32, unique=True)  # GTR-2026-000123
    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True, ondelete="CASCADE")
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(16))  # full | executive
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_by_name: str = Field(max_length=200)
    created_at: datetime = Field(sa_type=UTCDateTime)
    data: dict[str, Any] = Field(sa_type=JSON)
    data_sha256: str = Field(max_length=64, index=True)
    pdf: bytes = Field(sa_type=LargeBinary)
    pdf_sha256: str = Field(max_length=64)
    pages: int
    # Every report starts as a draft (its PDF watermarked DRAFT); a champion marks it final, which re-renders the PDF
    # from the same snapshot without the watermark and keeps the draft PDF's hash.
    finalised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finalised_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    finalised_by_name: str | None = Field(default=None, max_length=200)
    draft_pdf_sha256: str | None = Field(default=None, max_length=64)


class ReportJob(SQLModel, table=True):
    """A report someone asked for, generated in the background (by the web process or any `gtready worker`).

    `claim_token` changes at every claim: progress and the result are written only under the claim that ran the
    job, so a job given back after its process stalled is finished once, by its new claimant."""

    __tablename__ = "report_jobs"
    __table_args__ = (Index("ix_report_jobs_state_created_at", "state", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True, ondelete="CASCADE")
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", ondelete="CASCADE")
    requested_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    requested_by_name: str = Field(max_length=200)
    kind: str = Field(sa_type=String(16))
    prepared_for: str = Field(max_length=200)
    state: str = Field(default=ReportJobState.QUEUED, sa_type=String(16))
    step: str = Field(default="", max_length=100)  # what it is doing now, in words
    progress: float = 0.0  # 0 to 1
    attempts: int = 0
    claim_token: uuid.UUID | None = None
    report_number: str | None = Field(default=None, max_length=32)
    error: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)  # the last sign of life: a stale claim is given back
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
