"""The audit trail: one append-only, hash-chained sequence of events for the whole deployment."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    # (program_id, seq): a program's latest events without walking the whole trail (the dashboard's activity).
    __table_args__ = (Index("ix_audit_events_program_at", "program_id", "at"),
                      Index("ix_audit_events_program_seq", "program_id", "seq"))

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    seq: int = Field(sa_type=BigInteger, unique=True)  # 1, 2, 3 ... a gap means a removed event
    at: datetime = Field(sa_type=UTCDateTime)
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_name: str = Field(default="system", max_length=200)
    institution_id: uuid.UUID | None = Field(default=None, index=True)
    program_id: uuid.UUID | None = None
    entity: str = Field(max_length=32)  # item, program, signoff, evidence, membership, report
    entity_key: str = Field(default="", max_length=100, index=True)  # e.g. PHARM-012
    action: str = Field(max_length=64)  # e.g. item.updated
    before: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    after: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    """The chain's head (its newest event's seq and hash) copied aside at a moment.

    Deleting the newest events leaves a shorter chain that still verifies by itself; a checkpoint naming a later
    event, or another hash for an event still there, shows what was cut. Checkpoints are chained like events, so
    one removed from the middle shows too (the newest one is covered by report snapshots and the head kept offsite).
    """

    __tablename__ = "audit_checkpoints"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    number: int = Field(unique=True)  # 1, 2, 3 ... a gap means a removed checkpoint
    at: datetime = Field(sa_type=UTCDateTime)
    seq: int = Field(sa_type=BigInteger)  # the head event then, so also how many events the chain had
    head_hash: str = Field(max_length=64)
    reason: str = Field(max_length=64)  # "every 100 events", "gtready audit checkpoint"
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
