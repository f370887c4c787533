"""The follow-up capacity model: a cohort that runs out of visit slots in a known year, and properties."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.followup.model import run_capacity_model
from app.followup.schemas import CapacityInputs


def cohort(patients: list[int] | None = None, slots: int = 30, **overrides: Any) -> CapacityInputs:
    """12 visits in the first year after dosing, then 1 a year to year 15; no attrition."""
    data = {
        "horizon_years": 10,
        "products": [{"product": "hemgenix", "patients_per_year": patients or [2, 2, 2, 2, 2],
                      "schedule": [{"from_month": 0, "to_month": 12, "visits": 12, "labs": 12},
                                   {"from_month": 12, "to_month": 180, "visits": 14, "labs": 14}]}],
        "visit_slots_per_year": slots, "coordinator_hours_per_year": 10_000, "lab_capacity_per_year": 10_000,
        "annual_attrition": 0.0,
    } | overrides
    return CapacityInputs.model_validate(data)


def test_visit_slots_run_out_in_year_five() -> None:
    # year 1: 2x12 = 24; year 2: 24 + 2 = 26; year 3: 28; year 4: 30 (fits); year 5: 32 > 30
    result = run_capacity_model(cohort())
    assert [y.visits_needed for y in result.years[:6]] == [24, 26, 28, 30, 32, 10]
    assert result.first_shortfall_year == 5 and result.capacity_holds is False
    assert result.extra_visit_slots_needed == 2
    assert [y.patients_in_follow_up for y in result.years[:6]] == [2, 4, 6, 8, 10, 10]


def test_attrition_shrinks_the_long_tail() -> None:
    result = run_capacity_model(cohort(patients=[10], annual_attrition=0.1, slots=1000))
    assert result.years[0].patients_in_follow_up == 10 and result.years[1].patients_in_follow_up == 9
    assert result.years[2].visits_needed == 8.1


def test_coordinator_hours_and_staff_needed() -> None:
    result = run_capacity_model(cohort(slots=1000, coordinator_hours_per_year=20, coordinator_hours_per_visit=1.5,
                                       hours_per_fte=1000))
    # worst year: 32 visits x 1.5 h = 48 h, 28 h over: 0.03 FTE
    assert result.first_shortfall_year == 1
    assert result.extra_coordinator_hours_needed == 28 and result.extra_coordinator_fte_needed == 0.03


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=10), st.integers(0, 5), st.integers(0, 9))
def test_more_patients_never_lower_demand(plan: list[int], extra: int, year: int) -> None:
    more = list(plan)
    more[year % len(more)] += extra
    base, bigger = run_capacity_model(cohort(plan)), run_capacity_model(cohort(more))
    assert all(b.visits_needed >= a.visits_needed for a, b in zip(base.years, bigger.years, strict=True))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=10), st.integers(0, 200), st.integers(0, 100))
def test_more_capacity_never_brings_the_shortfall_earlier(plan: list[int], slots: int, extra: int) -> None:
    before = run_capacity_model(cohort(plan, slots=slots)).first_shortfall_year
    after = run_capacity_model(cohort(plan, slots=slots + extra)).first_shortfall_year
    assert after is None or (before is not None and after >= before)
