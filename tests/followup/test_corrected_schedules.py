"""The follow-up capacity model on the corrected schedules of checklists/planning-defaults.yaml, against a hand count.

One patient per product, dosed in plan year 1, no attrition; the laboratory draws counted by hand from the sources
(short names in checklists/SOURCES.md) must equal what the model reports for follow-up years 1 and 2.

Beqvez [Beqvez SmPC Table 1; Beqvez USPI]. ALT, AST and FIX activity are drawn together, so one draw is one lab.
    weeks 1-16    once or twice a week -> planned at twice:  16 x 2 = 32
    weeks 17-18   weekly                                    =  2
    weeks 19-52   at weeks 24, 32, 42 and 52                =  4
    year 1                                                  = 38   (1.0.0 planned 13 + 3 = 16: less than half)
    years 2-3     every 3 months                            ->  4 in year 2
Roctavian [Blood Adv valoctocogene liver 2024; Roctavian USPI].
    weeks 1-26    ALT, AST and FVIII weekly                 = 26
    weeks 27-52   ALT once or twice a week while steroid decisions are open -> planned at once = 26
    year 1                                                  = 52   (3.25 x the 16 of "weekly for 3 months")
    later         ALT every 3 to 6 months -> planned at every 3 months -> 4 in year 2
Hemgenix [Hemgenix SmPC; Hemgenix USPI].
    weeks 1-13    weekly ALT and FIX                        = 13
    months 3-12   not in our sources (unverified): fallback of 3 draws
    year 1                                                  = 16
    months 12-60  fallback of 8 draws over 4 years          ->  2 in year 2
"""

from typing import Any

import pytest

from app.followup.model import run_capacity_model
from app.followup.schemas import CapacityInputs
from app.planning.defaults import DEFAULTS_FILE, default_capacity_inputs, planning_defaults

HAND_COUNT = {"beqvez": (38, 4), "roctavian": (52, 4), "hemgenix": (16, 2)}
OLD_YEAR_ONE = 13 + 3  # the 1.0.0 default schedule: weekly for 3 months, then 3 more draws in year 1


def one_patient(product: str) -> CapacityInputs:
    schedule = planning_defaults(DEFAULTS_FILE)["follow_up"]["schedules"][product]["periods"]
    data: dict[str, Any] = {
        "horizon_years": 2,
        "products": [{"product": product, "patients_per_year": [1], "schedule": schedule}],
        "visit_slots_per_year": 10_000, "coordinator_hours_per_year": 10_000, "lab_capacity_per_year": 10_000,
        "annual_attrition": 0.0,
    }
    return CapacityInputs.model_validate(data)


@pytest.mark.parametrize("product", sorted(HAND_COUNT))
def test_year_one_and_two_lab_counts_match_the_hand_count_from_the_label_tables(product: str) -> None:
    years = run_capacity_model(one_patient(product)).years
    assert (years[0].labs_needed, years[1].labs_needed) == HAND_COUNT[product]


@pytest.mark.parametrize("product", sorted(HAND_COUNT))
def test_every_draw_is_also_a_visit_the_coordinator_books(product: str) -> None:
    years = run_capacity_model(one_patient(product)).years
    assert (years[0].visits_needed, years[1].visits_needed) == HAND_COUNT[product]


def test_the_old_schedule_undercounted_beqvez_year_one_by_more_than_half() -> None:
    beqvez_year_one = run_capacity_model(one_patient("beqvez")).years[0].labs_needed
    assert beqvez_year_one / 2 > OLD_YEAR_ONE


def test_the_old_schedule_gave_roctavian_a_third_to_a_quarter_of_its_year_one_load() -> None:
    roctavian_year_one = run_capacity_model(one_patient("roctavian")).years[0].labs_needed
    assert 3 <= roctavian_year_one / OLD_YEAR_ONE <= 4


def test_the_planning_defaults_give_each_product_its_own_schedule() -> None:
    inputs = default_capacity_inputs(["hemgenix", "beqvez", "roctavian"], patients_per_year=1)
    first_year = {plan.product: sum(p.labs for p in plan.schedule if p.to_month <= 12) for plan in inputs.products}
    assert first_year == {product: counts[0] for product, counts in HAND_COUNT.items()}


def test_a_roctavian_clinic_sized_for_the_old_schedule_falls_short_in_year_one() -> None:
    """The demo's clinic (200 labs a year) with 6 Roctavian patients a year: 6 x 52 = 312 labs in year 1."""
    result = run_capacity_model(default_capacity_inputs(["roctavian"], patients_per_year=6))
    assert result.years[0].labs_needed == 312 and result.first_shortfall_year == 1
    assert result.extra_lab_capacity_needed > 0


def test_the_hemgenix_demo_clinic_result_is_unchanged_by_the_corrections() -> None:
    """The demo program offers Hemgenix only, whose year-1 count stays 16: short of visit slots from year 4."""
    result = run_capacity_model(default_capacity_inputs(["hemgenix"], patients_per_year=6))
    assert result.years[0].labs_needed == 96 and result.first_shortfall_year == 4
    assert result.extra_visit_slots_needed == 19
