"""Inputs and results of the 15-year follow-up capacity model."""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.text import Slug

Count = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
FOLLOW_UP_MONTHS = 180  # up to 15 years after each patient's dose
PerPatient = Annotated[float, Field(ge=0, le=365, allow_inf_nan=False)]
YearlyCapacity = Annotated[int, Field(ge=0, le=1_000_000)]


class ResourceKind(StrEnum):
    """Resources an institution's programs share: counted once across all of them."""

    CLINIC_VISITS = "clinic_visits"  # follow-up visit slots (from each product's schedule, with attrition)
    INFUSION_CHAIRS = "infusion_chairs"  # chair sessions in the dosing year
    APHERESIS_SLOTS = "apheresis_slots"  # collections in the dosing year, failed-collection repeats included
    TRANSPLANT_BEDS = "transplant_beds"  # transplant-unit bed-days in the dosing year


class SchedulePeriod(BaseModel):
    """Visits and labs a patient needs between two points after dosing (months)."""

    model_config = ConfigDict(extra="forbid")

    from_month: Annotated[int, Field(ge=0, le=FOLLOW_UP_MONTHS)]
    to_month: Annotated[int, Field(ge=1, le=FOLLOW_UP_MONTHS)]
    visits: Count
    labs: Count

    @model_validator(mode="after")
    def _forward(self) -> "SchedulePeriod":
        if self.to_month <= self.from_month:
            raise ValueError("to_month must be after from_month")
        return self


class ProductFollowUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: Slug
    patients_per_year: Annotated[list[Annotated[int, Field(ge=0, le=200)]], Field(min_length=1, max_length=30)]
    schedule: Annotated[list[SchedulePeriod], Field(min_length=1, max_length=40)]
    infusion_chair_sessions_per_patient: PerPatient = 0
    apheresis_collections_per_patient: PerPatient = 0  # every collection, failed ones repeated included
    transplant_bed_days_per_patient: PerPatient = 0


class CapacityInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    horizon_years: Annotated[int, Field(ge=1, le=30)] = 15
    products: Annotated[list[ProductFollowUp], Field(min_length=1, max_length=10)]
    visit_slots_per_year: Annotated[int, Field(ge=0, le=1_000_000)]
    coordinator_hours_per_year: Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
    lab_capacity_per_year: Annotated[int, Field(ge=0, le=1_000_000)]
    coordinator_hours_per_visit: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 1.0
    annual_attrition: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.05
    hours_per_fte: Annotated[float, Field(gt=0, le=3000, allow_inf_nan=False)] = 1800
    infusion_chair_sessions_per_year: YearlyCapacity | None = None
    apheresis_slots_per_year: YearlyCapacity | None = None
    transplant_bed_days_per_year: YearlyCapacity | None = None

    def capacity_of(self, kind: ResourceKind) -> int | None:
        """The yearly capacity these inputs state for a resource (None: not stated)."""
        return {
            ResourceKind.CLINIC_VISITS: self.visit_slots_per_year,
            ResourceKind.INFUSION_CHAIRS: self.infusion_chair_sessions_per_year,
            ResourceKind.APHERESIS_SLOTS: self.apheresis_slots_per_year,
            ResourceKind.TRANSPLANT_BEDS: self.transplant_bed_days_per_year,
        }[kind]

    @model_validator(mode="after")
    def _plans_within_horizon(self) -> "CapacityInputs":
        for plan in self.products:
            if len(plan.patients_per_year) > self.horizon_years:
                raise ValueError(
                    f"products: {plan.product} plans dosing for {len(plan.patients_per_year)} years, "
                    f"beyond the {self.horizon_years}-year horizon"
                )
        return self


class CapacityYear(BaseModel):
    year: int
    patients_in_follow_up: float
    visits_needed: float
    visits_available: int
    coordinator_hours_needed: float
    coordinator_hours_available: float
    labs_needed: float
    labs_available: int
    short: bool


class CapacityResult(BaseModel):
    years: list[CapacityYear]
    first_shortfall_year: int | None
    capacity_holds: bool
    extra_visit_slots_needed: int
    extra_coordinator_hours_needed: float
    extra_coordinator_fte_needed: float
    extra_lab_capacity_needed: int
