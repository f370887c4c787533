"""An institution's shared resources: every program's demand per period against one capacity."""

import uuid

from pydantic import BaseModel

from app.followup.schemas import ResourceKind


class ProgramDemand(BaseModel):
    """One program's demand for each resource, per period (index 0 = period 1)."""

    program_id: uuid.UUID
    program_title: str
    scenario_name: str
    demand: dict[ResourceKind, list[float]]
    planned_patients: int = 0  # patients the scenario plans to dose over its horizon, all products together


class PeriodLoad(BaseModel):
    period: int
    demand: float
    capacity: float | None
    over: bool
    by_program: dict[str, float]
    competing: list[str]  # programs needing the resource in this period when two or more do


class ResourceLoad(BaseModel):
    resource: ResourceKind
    capacity: float | None  # per period; None: no program's scenario states it and none was given
    capacity_source: str
    periods: list[PeriodLoad]
    first_over_period: int | None
    peak_demand: float


class InstitutionCapacity(BaseModel):
    institution_id: uuid.UUID
    period: str  # what one period is ("plan year")
    programs: list[ProgramDemand]
    programs_without_scenario: list[str]
    resources: list[ResourceLoad]
