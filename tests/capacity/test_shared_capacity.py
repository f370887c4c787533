"""Shared resources: an ex vivo schedule against a hand calculation, two programs competing for one unit."""

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from app.capacity.model import combine
from app.capacity.schemas import ProgramDemand
from app.cli import cli
from app.config import Settings
from app.followup.model import resource_demand, run_capacity_model
from app.followup.schemas import CapacityInputs, ResourceKind
from tests.conftest import PASSWORD, Team
from tests.factories import make_program

BEDS, APHERESIS, VISITS = ResourceKind.TRANSPLANT_BEDS, ResourceKind.APHERESIS_SLOTS, ResourceKind.CLINIC_VISITS


def ex_vivo(patients: list[int], **overrides: Any) -> dict[str, Any]:
    """8 visits in year 1 after infusion, 4 in year 2, then 1 a year; 2.5 collections and 35 bed-days each."""
    return {
        "horizon_years": 4,
        "products": [{"product": "casgevy", "patients_per_year": patients,
                      "schedule": [{"from_month": 0, "to_month": 12, "visits": 8, "labs": 8},
                                   {"from_month": 12, "to_month": 24, "visits": 4, "labs": 4},
                                   {"from_month": 24, "to_month": 180, "visits": 13, "labs": 13}],
                      "apheresis_collections_per_patient": 2.5, "transplant_bed_days_per_patient": 35}],
        "visit_slots_per_year": 100, "coordinator_hours_per_year": 1000, "lab_capacity_per_year": 1000,
        "annual_attrition": 0.0,
    } | overrides


def test_ex_vivo_schedule_matches_the_hand_calculation() -> None:
    demand = resource_demand(CapacityInputs.model_validate(ex_vivo([3, 5])))
    # apheresis: 3 x 2.5 = 7.5 in year 1, 5 x 2.5 = 12.5 in year 2; none after dosing stops
    assert demand[APHERESIS] == [7.5, 12.5, 0, 0]
    # bed-days: 3 x 35 = 105, 5 x 35 = 175
    assert demand[BEDS] == [105, 175, 0, 0]
    # visits: y1 3x8 = 24; y2 3x4 + 5x8 = 52; y3 3x1 + 5x4 = 23; y4 3x1 + 5x1 = 8
    assert demand[VISITS] == pytest.approx([24, 52, 23, 8])
    assert demand[ResourceKind.INFUSION_CHAIRS] == [0, 0, 0, 0]


def test_visits_agree_with_the_follow_up_model_including_attrition() -> None:
    inputs = CapacityInputs.model_validate(ex_vivo([3, 5], annual_attrition=0.1))
    expected = [year.visits_needed for year in run_capacity_model(inputs).years]
    # y2 by hand: 3 x 0.9 x 4 + 5 x 8 = 50.8
    assert [round(v, 1) for v in resource_demand(inputs)[VISITS]] == expected and expected[1] == 50.8


def test_existing_inputs_without_resources_still_read() -> None:
    data = ex_vivo([1])
    for key in ("apheresis_collections_per_patient", "transplant_bed_days_per_patient"):
        del data["products"][0][key]
    inputs = CapacityInputs.model_validate(data)
    assert resource_demand(inputs)[BEDS] == [0, 0, 0, 0] and inputs.capacity_of(BEDS) is None


def demand(title: str, beds: list[float]) -> ProgramDemand:
    return ProgramDemand(program_id=uuid.uuid4(), program_title=title, scenario_name="base", demand={BEDS: beds})


def test_two_programs_sharing_one_unit_exceed_it_in_the_right_periods() -> None:
    # totals: 60, 60+50 = 110, 60+100 = 160 (> 120), 0+70 = 70; capacity counted once, not per program
    scd, thal = demand("SCD", [60, 60, 60, 0]), demand("Beta-thalassemia", [0, 50, 100, 70])
    (load,) = combine([scd, thal], {BEDS: 120})
    assert [p.demand for p in load.periods] == [60, 110, 160, 70]
    assert [p.over for p in load.periods] == [False, False, True, False] and load.first_over_period == 3
    assert [p.competing for p in load.periods] == [[], ["Beta-thalassemia", "SCD"], ["Beta-thalassemia", "SCD"], []]
    assert load.periods[2].by_program == {"SCD": 60, "Beta-thalassemia": 100} and load.peak_demand == 160
    # either program alone fits: only the shared count shows the shortfall
    assert all(not p.over for program in (scd, thal) for p in combine([program], {BEDS: 120})[0].periods)


def test_no_capacity_stated_is_never_over() -> None:
    (load,) = combine([demand("SCD", [500])], {})
    assert load.capacity is None and not load.periods[0].over and load.capacity_source == "not stated"


def save(team: Team, program_id: uuid.UUID, inputs: dict[str, Any], name: str) -> None:
    answer = team.clients["champion"].post(f"/api/programs/{program_id}/scenarios/capacity",
                                           json={"name": name, "inputs": inputs})
    assert answer.status_code == 201, answer.text


def two_programs(team: Team, app: Any, session: Session) -> uuid.UUID:
    """The team's program doses [3, 5] ex vivo patients; a second one [2, 2]; bed capacity 200 a year."""
    second = make_program(session, app.state.catalog, team.institution)
    save(team, team.program.id, ex_vivo([3, 5], transplant_bed_days_per_year=150), "SCD base")
    save(team, second.id, ex_vivo([2, 2], transplant_bed_days_per_year=200), "Thal base")  # saved last: counts
    return second.id


def test_api_counts_the_institution_capacity_once(team: Team, app: Any, session: Session) -> None:
    two_programs(team, app, session)
    view = team.clients["viewer"].get(f"/api/institutions/{team.institution.id}/capacity")
    assert view.status_code == 200, view.text
    beds = next(r for r in view.json()["resources"] if r["resource"] == "transplant_beds")
    # beds: y1 105 + 70 = 175 (fits 200); y2 175 + 70 = 245 > 200
    assert [p["demand"] for p in beds["periods"]] == [175, 245, 0, 0]
    assert beds["capacity"] == 200 and beds["first_over_period"] == 2 and "Thal base" in beds["capacity_source"]
    assert len(beds["periods"][1]["competing"]) == 2
    given = team.clients["viewer"].get(f"/api/institutions/{team.institution.id}/capacity?transplant_beds=250")
    beds = next(r for r in given.json()["resources"] if r["resource"] == "transplant_beds")
    assert beds["first_over_period"] is None and beds["capacity_source"] == "given with the request"


def test_api_refuses_outsiders_and_bad_capacity(team: Team, outsider: TestClient) -> None:
    url = f"/api/institutions/{team.institution.id}/capacity"
    assert outsider.get(url).status_code == 404
    bad = team.clients["viewer"].get(url + "?apheresis_slots=-1")
    assert bad.status_code == 422 and "apheresis_slots" in bad.text


def test_program_without_scenario_is_named(team: Team) -> None:
    view = team.clients["viewer"].get(f"/api/institutions/{team.institution.id}/capacity").json()
    assert view["programs_without_scenario"] == [team.program.title] and view["resources"] == []


def test_cli_prints_the_shortfall_by_institution_name(
    team: Team, app: Any, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_programs(team, app, session)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["capacity", team.institution.name])
    assert result.exit_code == 0, result.output
    assert "transplant_beds: capacity 200 per plan year" in result.output
    assert "exceeded first in year 2" in result.output and "OVER year  2       245" in result.output
    missing = CliRunner().invoke(cli, ["capacity", "No Such Hospital"])
    assert missing.exit_code == 1 and "no institution named" in missing.output


def test_dashboard_shows_the_shared_resource_section(team: Team, app: Any, session: Session) -> None:
    two_programs(team, app, session)
    web = TestClient(app)
    login = web.post("/login", data={"email": "viewer@riverside.example", "password": PASSWORD},
                     follow_redirects=False)
    assert login.status_code == 303
    page = web.get("/").text
    assert "Shared resources" in page and "transplant beds" in page
    assert "year 2: 245.0" in page and "scenario &#39;Thal base&#39;" in page


def test_two_programs_titled_alike_still_compete_as_two() -> None:
    first, second = demand("Sickle cell disease", [60]), demand("Sickle cell disease", [70])
    (load,) = combine([first, second], {BEDS: 120})
    (period,) = load.periods
    assert period.demand == 130 and period.over
    assert len(period.competing) == 2 and sorted(period.by_program.values()) == [60, 70]
    assert f"Sickle cell disease ({str(second.program_id)[:8]})" in period.by_program
