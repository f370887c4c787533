"""The first-patient projection: hand-built dependency graphs (tests/fixtures/projection/plan: a chain
PHARM-001 -> PHARM-002 -> POL-001 inside a diamond with PHARM-003), read through GET /projection as of 2027-01-04."""

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, update
from sqlmodel import Session, col
from typer.testing import CliRunner

from app import migrate
from app.auth.models import User
from app.checklists.loader import LibraryError, load_catalog
from app.cli import cli
from app.clock import frozen_at
from app.config import Settings
from app.programs.models import Institution, Program, ProgramItem
from tests import db_harness
from tests.db_harness import count_queries
from tests.factories import make_institution, make_program, make_user

PLAN_ROOT = Path(__file__).parents[1] / "fixtures" / "projection"
TODAY = date(2027, 1, 4)


@pytest.fixture
def checklists_dir() -> Path:
    return PLAN_ROOT


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with frozen_at(datetime(2027, 1, 4, 9, 30, tzinfo=UTC)):
        yield


@pytest.fixture
def institution(session: Session) -> Institution:
    return make_institution(session, "Plan General")


@pytest.fixture
def champion(session: Session, institution: Institution) -> User:
    return make_user(session, institution, roles=("champion",))


@pytest.fixture
def program(app: FastAPI, session: Session, institution: Institution) -> Program:
    return make_program(session, app.state.catalog, institution, library_id="plan", library_version="1.0.0")


@pytest.fixture
def champion_client(client_for: Callable[[User], TestClient], champion: User) -> TestClient:
    return client_for(champion)


def set_items(session: Session, program: Program, **states: dict[str, Any]) -> None:
    """Item state as a team would have left it (PHARM_001=dict(due_date=...))."""
    for key, fields in states.items():
        session.execute(
            update(ProgramItem)
            .where(col(ProgramItem.program_id) == program.id, col(ProgramItem.key) == key.replace("_", "-"))
            .values(**fields)
        )
    session.commit()


def projection(client: TestClient, program: Program) -> dict[str, Any]:
    response = client.get(f"/api/programs/{program.id}/projection")
    assert response.status_code == 200, response.text
    return response.json()


def by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["key"]: item for item in body["items"]}


def all_due(session: Session, program: Program, **overrides: dict[str, Any]) -> None:
    dates = {"PHARM_001": date(2027, 3, 1), "PHARM_002": date(2027, 2, 1), "PHARM_003": date(2027, 1, 20),
             "POL_001": date(2027, 2, 15), "POL_002": date(2027, 6, 1)}
    set_items(session, program, **{key: {"due_date": day} for key, day in dates.items()})
    set_items(session, program, **overrides)


def test_a_chain_slips_every_item_after_a_late_dependency(
    session: Session, program: Program, champion_client: TestClient
) -> None:
    all_due(session, program)
    body = projection(champion_client, program)
    assert body["gate_open"] is False
    assert body["projected_date"] == "2027-03-01"
    assert [i["key"] for i in body["critical_path"]] == ["POL-001", "PHARM-002", "PHARM-001"]
    items = by_key(body)
    assert items["PHARM-002"]["finish"] == "2027-03-01" and items["PHARM-002"]["slipped_days"] == 28
    assert items["POL-001"]["finish"] == "2027-03-01" and items["POL-001"]["slipped_days"] == 14
    assert items["PHARM-001"]["slipped_days"] == 0
    assert {k: items[k]["slack_days"] for k in ("PHARM-001", "PHARM-002", "POL-001")} == dict.fromkeys(
        ("PHARM-001", "PHARM-002", "POL-001"), 0
    )
    assert "POL-002" not in items  # a minor item nothing in the gate waits on
    assert body["reasons"] == [] and body["warning"] is None


def test_a_diamond_waits_for_its_later_branch_and_the_other_branch_has_slack(
    session: Session, program: Program, champion_client: TestClient
) -> None:
    all_due(session, program, PHARM_001={"due_date": date(2027, 1, 10)}, PHARM_003={"due_date": date(2027, 4, 1)})
    body = projection(champion_client, program)
    # PHARM-003 (minor, not itself in the gate) is the later branch into POL-001.
    assert body["projected_date"] == "2027-04-01"
    assert [i["key"] for i in body["critical_path"]] == ["POL-001", "PHARM-003"]
    items = by_key(body)
    assert items["PHARM-003"]["gate_item"] is False and items["PHARM-003"]["slack_days"] == 0
    assert items["PHARM-002"]["finish"] == "2027-02-01"
    assert items["PHARM-002"]["slack_days"] == (date(2027, 4, 1) - date(2027, 2, 1)).days
    # PHARM-001 may slip as far as the gate date: both branches it feeds still end by 2027-04-01.
    assert items["PHARM-001"]["slack_days"] == (date(2027, 4, 1) - date(2027, 1, 10)).days


def test_a_signed_off_dependency_is_finished_on_its_signature_date(
    session: Session, program: Program, champion_client: TestClient
) -> None:
    all_due(session, program, PHARM_001={"status": "signed_off",
                                         "completed_at": datetime(2026, 12, 1, 10, tzinfo=UTC)})
    body = projection(champion_client, program)
    assert body["projected_date"] == "2027-02-15"
    assert [i["key"] for i in body["critical_path"]] == ["POL-001"]
    assert "PHARM-001" not in by_key(body)


def test_an_item_without_a_due_date_makes_the_date_unknown_and_is_named(
    session: Session, program: Program, champion_client: TestClient
) -> None:
    all_due(session, program, PHARM_001={"due_date": None}, POL_002={"due_date": None})
    body = projection(champion_client, program)
    assert body["projected_date"] is None
    assert [r["key"] for r in body["reasons"]] == ["PHARM-001"]  # POL-002 has none either, but the gate waits not
    assert "no due date" in body["reasons"][0]["reason"]
    assert body["critical_path"] == []
    assert by_key(body)["POL-001"]["finish"] is None


def test_a_done_item_not_yet_signed_finishes_today_not_on_its_due_date(
    session: Session, program: Program, champion_client: TestClient
) -> None:
    all_due(session, program, PHARM_001={"status": "signed_off", "completed_at": datetime(2026, 12, 1, tzinfo=UTC)},
            PHARM_002={"status": "done", "due_date": None}, PHARM_003={"status": "done"},
            POL_001={"status": "done", "due_date": date(2027, 5, 1)})
    body = projection(champion_client, program)
    assert body["projected_date"] == TODAY.isoformat()  # everything left only needs its signature
    items = by_key(body)
    assert items["PHARM-002"]["awaiting_signature"] is True and items["PHARM-002"]["finish"] == TODAY.isoformat()
    assert items["POL-001"]["finish"] == TODAY.isoformat() and body["gate_open"] is False


def test_an_overdue_item_finishes_today_at_the_earliest_and_is_flagged(
    session: Session, program: Program, champion_client: TestClient
) -> None:
    all_due(session, program, PHARM_001={"due_date": date(2026, 12, 20)}, PHARM_002={"due_date": date(2026, 12, 24)},
            POL_001={"due_date": date(2026, 12, 31)}, PHARM_003={"due_date": date(2026, 12, 1)})
    body = projection(champion_client, program)
    assert body["projected_date"] == TODAY.isoformat()
    items = by_key(body)
    assert all(items[k]["overdue"] for k in ("PHARM-001", "PHARM-002", "PHARM-003", "POL-001"))
    assert items["PHARM-001"]["finish"] == TODAY.isoformat()


def test_the_gate_open_projects_today(session: Session, program: Program, champion_client: TestClient) -> None:
    signed = {"status": "signed_off", "completed_at": datetime(2026, 12, 1, tzinfo=UTC)}
    set_items(session, program, PHARM_001=signed, PHARM_002=signed, POL_001={"status": "not_applicable"})
    body = projection(champion_client, program)
    assert body["gate_open"] is True and body["projected_date"] == TODAY.isoformat() and body["items"] == []


def test_a_lapsed_signature_is_not_finished(session: Session, program: Program, champion_client: TestClient) -> None:
    signed = {"status": "signed_off", "completed_at": datetime(2026, 1, 1, tzinfo=UTC)}
    set_items(session, program, PHARM_001=signed | {"lapses_on": date(2027, 1, 1)}, PHARM_002=signed,
              POL_001={"status": "not_applicable"})
    body = projection(champion_client, program)
    assert [i["key"] for i in body["critical_path"]] == ["PHARM-001"]
    assert by_key(body)["PHARM-001"]["awaiting_signature"] is True


def test_the_target_slip_names_the_item_that_moved_it(
    session: Session, program: Program, champion_client: TestClient
) -> None:
    all_due(session, program)
    response = champion_client.put(f"/api/programs/{program.id}/target", json={"first_patient_target": "2027-02-20"})
    assert response.status_code == 200 and response.json()["first_patient_target"] == "2027-02-20"
    body = projection(champion_client, program)
    assert body["target"] == "2027-02-20" and body["slip_days"] == 9
    assert body["moved_by"] == "PHARM-001" == body["critical_path"][-1]["key"]
    assert "9 days past the target 20 Feb 2027, because of PHARM-001 Storage qualified" in body["warning"]
    # Bring the late item forward: the projection recomputes on the next read.
    set_items(session, program, PHARM_001={"due_date": date(2027, 1, 15)})
    body = projection(champion_client, program)
    assert body["projected_date"] == "2027-02-15" and body["slip_days"] == 0 and body["moved_by"] is None
    assert champion_client.put(f"/api/programs/{program.id}/target", json={"first_patient_target": None}).json()[
        "first_patient_target"] is None
    assert projection(champion_client, program)["slip_days"] is None


def test_only_champions_and_administrators_set_the_target(
    session: Session, institution: Institution, program: Program, client_for: Callable[[User], TestClient]
) -> None:
    lead = client_for(make_user(session, institution, roles=("pharmacy_lead",)))
    response = lead.put(f"/api/programs/{program.id}/target", json={"first_patient_target": "2027-02-20"})
    assert response.status_code == 403
    assert lead.get(f"/api/programs/{program.id}/projection").json()["target"] is None
    admin = client_for(make_user(session, institution, roles=("administrator",)))
    response = admin.put(f"/api/programs/{program.id}/target", json={"first_patient_target": "2027-02-20"})
    assert response.status_code == 200
    outsider = client_for(make_user(session, make_institution(session), roles=("champion",)))
    assert outsider.get(f"/api/programs/{program.id}/projection").status_code == 404
    bad = admin.put(f"/api/programs/{program.id}/target", json={"first_patient_target": "next spring"})
    assert bad.status_code == 422


def test_a_stored_dependency_cycle_is_refused_naming_it(
    session: Session, program: Program, champion_client: TestClient
) -> None:
    set_items(session, program, PHARM_001={"depends_on": ["POL-001"]})
    response = champion_client.get(f"/api/programs/{program.id}/projection")
    assert response.status_code == 409
    assert "dependency cycle" in response.json()["detail"] and "PHARM-001" in response.json()["detail"]


def test_a_dependency_cycle_is_refused_at_library_load(tmp_path: Path) -> None:
    folder = tmp_path / "plan" / "1.0.0"
    folder.mkdir(parents=True)
    source = PLAN_ROOT / "plan" / "1.0.0"
    (folder / "library.yaml").write_text((source / "library.yaml").read_text())
    items = (source / "items.yaml").read_text().replace(
        "    signoff_role: pharmacy_lead\n    references: [\"Hemgenix USPI\"]",
        "    signoff_role: pharmacy_lead\n    depends_on: [POL-001]\n    references: [\"Hemgenix USPI\"]",
    )
    assert "depends_on: [POL-001]" in items
    (folder / "items.yaml").write_text(items)
    with pytest.raises(LibraryError, match="dependency cycle"):
        load_catalog(tmp_path)


def test_the_projection_costs_the_same_queries_at_5_items_or_300(
    app: FastAPI, session: Session, institution: Institution, program: Program, champion_client: TestClient
) -> None:
    large = make_program(session, app.state.catalog, institution, library_id="plan", library_version="1.0.0")
    session.add_all(
        ProgramItem(
            program_id=large.id, key=f"EXTRA-{n:03d}", position=100 + n, area="pharmacy", title=f"Extra {n}",
            done_when="x", why="y", criticality="blocker", weight=3, signoff_role="pharmacy_lead",
            depends_on=[f"EXTRA-{n - 1:03d}"] if n else ["POL-001"], due_date=date(2027, 2, 1 + n % 20),
            references=["Seed article"],
        )
        for n in range(295)
    )
    session.commit()
    all_due(session, program)
    all_due(session, large)
    counts = []
    for each in (program, large):
        with count_queries(app.state.engine) as statements:
            body = projection(champion_client, each)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 5, counts  # auth: token + membership; the program; its items
    path = [i["key"] for i in body["critical_path"]]
    assert len(path) == 298 and path[0] == "EXTRA-294" and path[-5:] == ["EXTRA-001", "EXTRA-000", "POL-001",
                                                                         "PHARM-002", "PHARM-001"]


def test_migration_0012_adds_the_target_and_comes_down_again(tmp_path: Path) -> None:
    url = db_harness.fresh_database_url(tmp_path, "target")
    settings = Settings(database_url=url)
    engine = create_engine(url)
    try:
        migrate.upgrade(settings, "0012")
        assert "first_patient_target" in {c["name"] for c in inspect(engine).get_columns("programs")}
        migrate.downgrade(settings, "0006")
        assert "first_patient_target" not in {c["name"] for c in inspect(engine).get_columns("programs")}
    finally:
        engine.dispose()
        if db_harness.USE_POSTGRES:
            db_harness.drop_postgres_database(url)


def test_the_cli_prints_the_date_the_critical_path_and_slack(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, session: Session, program: Program
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GTREADY_CHECKLISTS_DIR", str(settings.checklists_dir))
    all_due(session, program, PHARM_001={"due_date": date(2027, 1, 10)}, PHARM_003={"due_date": date(2027, 4, 1)})
    program.first_patient_target = date(2027, 2, 20)
    session.add(program)
    session.commit()
    result = CliRunner().invoke(cli, ["projection", str(program.id)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Projected first-patient date: 2027-04-01 (target 2027-02-20, 40 days late because of PHARM-003)"
    assert lines[3:5] == ["  PHARM-003  finishes 2027-04-01  due 2027-04-01  Pharmacist competency",
                          "  POL-001    finishes 2027-04-01  due 2027-02-15 (slips 45 days)  P&T approval"]
    assert lines[7:] == ["  PHARM-003      0        Pharmacist competency", "  POL-001        0  gate  P&T approval",
                         "  PHARM-002     59  gate  Preparation SOP written",
                         "  PHARM-001     81  gate  Storage qualified"]
    refused = CliRunner().invoke(cli, ["projection", str(uuid.uuid4())])
    assert refused.exit_code == 1 and refused.output.strip() == "program not found"
