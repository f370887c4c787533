"""15-year follow-up capacity: can the clinic still see every treated patient in year 12?

Each product's schedule spreads its visits and labs evenly over each period after dosing. A patient dosed in plan
year y0 generates, in plan year y, the visits and labs its schedule places in months 12·(y−y0) to 12·(y−y0+1),
for up to 15 years, scaled by the share still followed after attrition: (1 − attrition)^(y − y0). Demand is
compared year by year with the clinic's visit slots, coordinator hours (visits × hours per visit) and lab capacity;
the first year any of them falls short is reported, with the extra slots, hours (and full-time staff) and lab
capacity needed to cover the worst year.
"""

import math

import numpy as np

from app.followup.schemas import (
    FOLLOW_UP_MONTHS,
    CapacityInputs,
    CapacityResult,
    CapacityYear,
    ResourceKind,
    SchedulePeriod,
)

METHOD_NOTE = __doc__ or ""


def per_follow_up_year(schedule: list[SchedulePeriod]) -> tuple[np.ndarray, np.ndarray]:
    """Visits and labs a patient needs in each year after dosing (index 0 = the first year)."""
    years = FOLLOW_UP_MONTHS // 12
    visits, labs = np.zeros(FOLLOW_UP_MONTHS), np.zeros(FOLLOW_UP_MONTHS)
    for period in schedule:
        months = period.to_month - period.from_month
        visits[period.from_month : period.to_month] += period.visits / months
        labs[period.from_month : period.to_month] += period.labs / months
    return visits.reshape(years, 12).sum(axis=1), labs.reshape(years, 12).sum(axis=1)


def run_capacity_model(inputs: CapacityInputs) -> CapacityResult:
    horizon = inputs.horizon_years
    patients, visits, labs = np.zeros(horizon), np.zeros(horizon), np.zeros(horizon)
    retention = (1 - inputs.annual_attrition) ** np.arange(horizon)
    for plan in inputs.products:
        yearly_visits, yearly_labs = per_follow_up_year(plan.schedule)
        for dose_year, count in enumerate(plan.patients_per_year):
            span = min(horizon - dose_year, len(yearly_visits))
            followed = count * retention[:span]
            patients[dose_year : dose_year + span] += followed
            visits[dose_year : dose_year + span] += followed * yearly_visits[:span]
            labs[dose_year : dose_year + span] += followed * yearly_labs[:span]
    hours = visits * inputs.coordinator_hours_per_visit
    short = (
        (visits > inputs.visit_slots_per_year + 1e-9)
        | (hours > inputs.coordinator_hours_per_year + 1e-9)
        | (labs > inputs.lab_capacity_per_year + 1e-9)
    )
    years = [
        CapacityYear(
            year=year + 1,
            patients_in_follow_up=round(float(patients[year]), 2),
            visits_needed=round(float(visits[year]), 1),
            visits_available=inputs.visit_slots_per_year,
            coordinator_hours_needed=round(float(hours[year]), 1),
            coordinator_hours_available=inputs.coordinator_hours_per_year,
            labs_needed=round(float(labs[year]), 1),
            labs_available=inputs.lab_capacity_per_year,
            short=bool(short[year]),
        )
        for year in range(horizon)
    ]
    extra_hours = max(0.0, float(hours.max()) - inputs.coordinator_hours_per_year)
    return CapacityResult(
        years=years,
        first_shortfall_year=next((y.year for y in years if y.short), None),
        capacity_holds=not short.any(),
        extra_visit_slots_needed=max(0, math.ceil(float(visits.max()) - inputs.visit_slots_per_year - 1e-9)),
        extra_coordinator_hours_needed=round(extra_hours, 1),
        extra_coordinator_fte_needed=round(extra_hours / inputs.hours_per_fte, 2),
        extra_lab_capacity_needed=max(0, math.ceil(float(labs.max()) - inputs.lab_capacity_per_year - 1e-9)),
    )


def resource_demand(inputs: CapacityInputs) -> dict[ResourceKind, list[float]]:
    """Each shared resource's demand per plan year (index 0 = year 1).

    Clinic visits follow each product's schedule with attrition, as in run_capacity_model; infusion-chair
    sessions, apheresis collections and transplant bed-days fall in the year the patient is dosed (an ex vivo
    patient's collections and transplant stay are counted in the same plan year).
    """
    horizon = inputs.horizon_years
    demand = {kind: np.zeros(horizon) for kind in ResourceKind}
    retention = (1 - inputs.annual_attrition) ** np.arange(horizon)
    for plan in inputs.products:
        yearly_visits, _ = per_follow_up_year(plan.schedule)
        per_patient = {
            ResourceKind.INFUSION_CHAIRS: plan.infusion_chair_sessions_per_patient,
            ResourceKind.APHERESIS_SLOTS: plan.apheresis_collections_per_patient,
            ResourceKind.TRANSPLANT_BEDS: plan.transplant_bed_days_per_patient,
        }
        for dose_year, count in enumerate(plan.patients_per_year):
            span = min(horizon - dose_year, len(yearly_visits))
            demand[ResourceKind.CLINIC_VISITS][dose_year : dose_year + span] += (
                count * retention[:span] * yearly_visits[:span]
            )
            for kind, amount in per_patient.items():
                demand[kind][dose_year] += count * amount
    return {kind: [float(value) for value in values] for kind, values in demand.items()}
