"""The shipped ex vivo defaults feed the shared-resource model: 3 Casgevy patients a year against a hand count.

Casgevy defaults (checklists/planning-defaults.yaml): collection takes up to 3 apheresis days per round [Boston
Children's Casgevy], plus one extra round per patient as the failed-collection allowance (an assumption), so
3 × (1 + 1) = 6 apheresis collections per patient; a 42-day transplant admission (the upper end of four to six
weeks). Follow-up: 12 visits in year 1 (an assumption), then one a year (FDA's 15-year follow-up).

3 patients a year for the default 5 dosing years:
    apheresis  3 × 6  = 18 collections a year (4.5 a quarter if spread evenly), years 1-5; none after
    bed-days   3 × 42 = 126 bed-days a year (31.5 a quarter), years 1-5
    visits     year 1: 3 × 12 = 36; year 2: 3 × 0.95 × 1 + 36 = 38.85 (5% attrition a year)
An apheresis unit with 16 collections a year is short in years 1-5 by 2 a year.
"""

import uuid
from typing import Any

import pytest

from app.capacity.model import combine
from app.capacity.schemas import ProgramDemand
from app.followup.model import resource_demand
from app.followup.schemas import ResourceKind
from app.planning.defaults import default_capacity_inputs, per_patient_resources
from tests.conftest import Team

APHERESIS, BEDS, VISITS = ResourceKind.APHERESIS_SLOTS, ResourceKind.TRANSPLANT_BEDS, ResourceKind.CLINIC_VISITS


def test_casgevy_per_patient_resources_come_from_the_defaults() -> None:
    assert per_patient_resources("casgevy") == {"infusion_chair_sessions_per_patient": 0.0,
                                                "apheresis_collections_per_patient": 6.0,
                                                "transplant_bed_days_per_patient": 42.0}
    assert per_patient_resources("zolgensma")["infusion_chair_sessions_per_patient"] == 1.0
    assert per_patient_resources("hemgenix") == dict.fromkeys(per_patient_resources("hemgenix"), 0.0)


def test_three_casgevy_patients_a_year_against_the_hand_count() -> None:
    demand = resource_demand(default_capacity_inputs(["casgevy"], patients_per_year=3))
    assert demand[APHERESIS] == [18.0] * 5 + [0.0] * 10
    assert demand[BEDS] == [126.0] * 5 + [0.0] * 10
    assert [q for year in demand[APHERESIS][:1] for q in [year / 4] * 4] == [4.5] * 4  # per quarter, evenly
    assert demand[VISITS][:2] == pytest.approx([36, 38.85])


def test_an_apheresis_unit_of_sixteen_a_year_is_short_while_dosing_lasts() -> None:
    demand = resource_demand(default_capacity_inputs(["casgevy"], patients_per_year=3))
    program = ProgramDemand(program_id=uuid.UUID(int=1), program_title="SCD",
                            scenario_name="base", demand=demand)
    loads = {load.resource: load for load in combine([program], {APHERESIS: 16.0})}
    assert [p.period for p in loads[APHERESIS].periods if p.over] == [1, 2, 3, 4, 5]
    assert loads[APHERESIS].peak_demand == 18.0 and loads[APHERESIS].first_over_period == 1


def test_every_ex_vivo_product_has_apheresis_and_bed_days_and_a_15_year_schedule() -> None:
    for product in ("casgevy", "lyfgenia", "zynteglo", "skysona", "lenmeldy"):
        resources = per_patient_resources(product)
        assert resources["apheresis_collections_per_patient"] > 0, product
        assert resources["transplant_bed_days_per_patient"] > 0, product
        (plan,) = default_capacity_inputs([product]).products
        assert plan.schedule[-1].to_month == 180, f"{product}: follow-up must reach 15 years"


def test_the_api_defaults_and_institution_view_carry_the_ex_vivo_demand(team: Team) -> None:
    """Saved through the API and read back from the database: the institution view counts 18 collections."""
    champion = team.clients["champion"]
    inputs: dict[str, Any] = default_capacity_inputs(["casgevy"], patients_per_year=3).model_dump(mode="json")
    inputs["apheresis_slots_per_year"] = 16
    saved = champion.post(team.url("/scenarios/capacity"), json={"name": "SCD base", "inputs": inputs})
    assert saved.status_code == 201, saved.text
    assert saved.json()["inputs"]["products"][0]["apheresis_collections_per_patient"] == 6.0
    view = team.clients["viewer"].get(f"/api/institutions/{team.institution.id}/capacity").json()
    loads = {load["resource"]: load for load in view["resources"]}
    assert [p["demand"] for p in loads["apheresis_slots"]["periods"]][:6] == [18, 18, 18, 18, 18, 0]
    assert loads["apheresis_slots"]["first_over_period"] == 1
    assert loads["transplant_beds"]["peak_demand"] == 126


def test_skysona_is_followed_with_blood_counts_every_3_months_as_its_current_boxed_warning_says() -> None:
    """FU-401 of ex-vivo-hsc 1.1.0 and the planning schedule say the same: 4 draws a year after year 1."""
    (plan,) = default_capacity_inputs(["skysona"]).products
    after_year_one = [period for period in plan.schedule if period.from_month >= 12]
    months = sum(period.to_month - period.from_month for period in after_year_one)
    assert months == 168 and sum(period.labs for period in after_year_one) == 168 // 3
