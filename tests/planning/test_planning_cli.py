"""`gtready scenarios list` and `gtready scenarios run` against the configured database."""

import json

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.planning import service
from app.planning.defaults import default_capacity_inputs, default_reimbursement_inputs
from app.planning.models import PlanningScenario
from app.planning.schemas import ScenarioKind
from tests.conftest import Team

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reads DATABASE_URL, as it does for a user: point it at this test's database."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)


def save(session: Session, team: Team, kind: ScenarioKind, name: str, **changes: object) -> PlanningScenario:
    defaults = (default_reimbursement_inputs if kind == ScenarioKind.REIMBURSEMENT else default_capacity_inputs)
    inputs = defaults(team.program.products).model_copy(update=changes)
    return service.save_scenario(session, team.people["champion"], team.program, kind, name, inputs)


def test_list_shows_each_scenario_newest_first(team: Team, session: Session) -> None:
    older = save(session, team, ScenarioKind.REIMBURSEMENT, "Base payers")
    newer = save(session, team, ScenarioKind.CAPACITY, "Small clinic")
    result = runner.invoke(cli, ["scenarios", "list", str(team.program.id)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "KIND", "NAME", "SAVED", "BY"]
    assert lines[2].startswith(f"{newer.id}  capacity") and "Small clinic" in lines[2]
    assert lines[3].startswith(f"{older.id}  reimbursement") and "Base payers" in lines[3]


def test_run_prints_the_api_numbers_as_a_table(team: Team, session: Session) -> None:
    scenario = save(session, team, ScenarioKind.REIMBURSEMENT, "Base payers")
    api = team.clients["viewer"].post(f"/api/scenarios/{scenario.id}/run").json()["reimbursement"]
    result = runner.invoke(cli, ["scenarios", "run", str(scenario.id)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Expected loss per patient          ${api['expected_loss_per_patient']:,.0f}" in out
    assert f"Cohort loss: 95th percentile       ${api['cohort_loss']['p95']:,.0f}" in out
    assert f"Risk level                         {api['risk_level']}" in out
    top = api["sensitivity"][0]
    assert f"1     {top['input']}" in out


def test_run_json_is_the_apis_answer(team: Team, session: Session) -> None:
    scenario = save(session, team, ScenarioKind.CAPACITY, "Small clinic", visit_slots_per_year=40)
    api = team.clients["viewer"].post(f"/api/scenarios/{scenario.id}/run").json()
    result = runner.invoke(cli, ["scenarios", "run", str(scenario.id), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == api
    table = runner.invoke(cli, ["scenarios", "run", str(scenario.id)]).output
    assert f"short from year {api['capacity']['first_shortfall_year']}" in table
    assert sum(1 for line in table.splitlines() if line.rstrip().endswith("yes")) == sum(
        1 for year in api["capacity"]["years"] if year["short"])


def test_unknown_or_malformed_ids_fail_with_a_message(team: Team) -> None:
    missing = runner.invoke(cli, ["scenarios", "run", "00000000-0000-0000-0000-000000000000"])
    assert missing.exit_code == 1 and "scenario not found" in missing.output
    malformed = runner.invoke(cli, ["scenarios", "list", "not-an-id"])
    assert malformed.exit_code == 2 and "PROGRAM_ID: 'not-an-id' is not an id" in malformed.output
    empty = runner.invoke(cli, ["scenarios", "list", str(team.program.id)])
    assert empty.exit_code == 0 and "no scenario saved" in empty.output
