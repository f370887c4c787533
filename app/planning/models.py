"""Saved planning scenarios of a program: the inputs of one model run, kept to re-run and compare."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db import UTCDateTime


class PlanningScenario(SQLModel, table=True):
    __tablename__ = "planning_scenarios"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(16))  # reimbursement | capacity
    name: str = Field(max_length=200)
    inputs: dict[str, Any] = Field(sa_type=JSON)
    created_by_name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
