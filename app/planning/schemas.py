"""Request and response bodies of the planning API."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from app.followup.schemas import CapacityInputs, CapacityResult
from app.risk.schemas import ReimbursementInputs, ReimbursementResult
from app.text import Name


class ScenarioKind(StrEnum):
    REIMBURSEMENT = "reimbursement"
    CAPACITY = "capacity"


class ReimbursementScenarioBody(BaseModel):
    name: Name
    inputs: ReimbursementInputs


class CapacityScenarioBody(BaseModel):
    name: Name
    inputs: CapacityInputs


class ScenarioRead(BaseModel):
    id: uuid.UUID
    program_id: uuid.UUID
    kind: str = Field(description="reimbursement | capacity")
    name: str
    inputs: dict[str, Any]
    created_by_name: str
    created_at: datetime
    updated_at: datetime
    valid: bool = Field(default=True, description="Whether the models can run the stored inputs")
    problem: str | None = Field(default=None, description="Why the scenario cannot be run, when it cannot")


class ScenarioRun(BaseModel):
    scenario: ScenarioRead
    reimbursement: ReimbursementResult | None = None
    capacity: CapacityResult | None = None
