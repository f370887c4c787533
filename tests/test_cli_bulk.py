"""`gtready items bulk`: the program table's bulk change from a terminal, through the same service, row by row."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.cli import cli
from app.config import Settings
from tests.conftest import Team

runner = CliRunner()
CHAMPION, PHARMACY = "champion@riverside.example", "pharmacy_lead@riverside.example"


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GTREADY_CHECKLISTS_DIR", str(settings.checklists_dir))
    monkeypatch.setenv("GTREADY_DATA_DIR", str(settings.data_dir))


def bulk(team: Team, *args: str) -> Any:
    return runner.invoke(cli, ["items", "bulk", str(team.program.id), *args])


def item(team: Team, key: str) -> dict[str, Any]:
    return dict(team.clients["viewer"].get(team.url(f"/items/{key}")).json())


def updates(session: Session) -> list[tuple[str | None, str]]:
    session.expire_all()
    rows = session.execute(select(AuditEvent.actor_name, AuditEvent.entity_key)
                           .where(AuditEvent.action == "item.updated").order_by(AuditEvent.seq)).all()
    return [(row[0], row[1]) for row in rows]


def table(output: str) -> dict[str, tuple[str, str]]:
    """ITEM -> (OUTCOME, REASON) from the printed table."""
    lines = output.splitlines()
    assert lines[0].split() == ["ITEM", "OUTCOME", "REASON"], output
    rows: dict[str, tuple[str, str]] = {}
    for line in lines[1:-1]:
        key, rest = line.split(maxsplit=1)
        outcome = "already so" if rest.startswith("already so") else rest.split()[0]
        rows[key] = (outcome, rest[len(outcome):].strip())
    return rows


@pytest.mark.usefixtures("cli_env")
def test_keys_get_the_owner_and_due_date_each_audited_and_a_rerun_is_already_so(team: Team, session: Session) -> None:
    before = len(updates(session))
    done = bulk(team, "--key", "PHARM-001", "--key", "POL-001", "--set-owner", PHARMACY, "--set-due", "2026-12-15",
                "--as", CHAMPION)
    assert done.exit_code == 0, done.output
    assert table(done.output) == {"PHARM-001": ("done", ""), "POL-001": ("done", "")}
    assert done.output.splitlines()[-1] == "2 items: 2 done, 0 already so, 0 refused, 0 conflicts."
    for key in ("PHARM-001", "POL-001"):
        assert (item(team, key)["owner_name"], item(team, key)["due_date"]) == ("Pharmacy lead", "2026-12-15")
    assert updates(session)[before:] == [("Program champion", "PHARM-001"), ("Program champion", "POL-001")]
    again = bulk(team, "--key", "PHARM-001", "--key", "POL-001", "--set-due", "2026-12-15", "--as", CHAMPION)
    assert again.exit_code == 0, again.output
    assert table(again.output) == {"PHARM-001": ("already so", ""), "POL-001": ("already so", "")}
    cleared = bulk(team, "--key", "POL-001", "--set-owner", "none", "--as", CHAMPION)
    assert cleared.exit_code == 0 and item(team, "POL-001")["owner_id"] is None


@pytest.mark.usefixtures("cli_env")
def test_all_matching_applies_each_items_own_permission_and_exits_1_when_one_is_refused(team: Team) -> None:
    result = bulk(team, "--all-matching", "--set-status", "in_progress", "--as", PHARMACY)
    assert result.exit_code == 1, result.output
    rows = table(result.output)
    assert {k for k, (outcome, _) in rows.items() if outcome == "done"} == {"PHARM-001", "PHARM-002"}
    refused = {k: reason for k, (outcome, reason) in rows.items() if outcome == "refused"}
    assert set(refused) == {"POL-001", "POL-002", "PAY-001"}, rows
    assert refused["PAY-001"] == "this needs the administrator or champion or finance_lead role"
    assert item(team, "PHARM-002")["status"] == "in_progress" and item(team, "POL-001")["status"] == "not_started"
    narrowed = bulk(team, "--all-matching", "--area", "policy", "--q", "POL-002", "--set-status", "in_progress",
                    "--as", CHAMPION)
    assert narrowed.exit_code == 0, narrowed.output
    assert table(narrowed.output) == {"POL-002": ("done", "")}
    assert item(team, "POL-001")["status"] == "not_started"
    owned = bulk(team, "--all-matching", "--status", "in_progress", "--owner", PHARMACY, "--set-status", "done",
                 "--as", CHAMPION)
    assert owned.exit_code == 0 and owned.output.startswith("ITEM") and "0 items:" in owned.output


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(("args", "message"), [
    (["--key", "PHARM-001", "--key", "NOPE-001", "--set-status", "done"], "--key: no item NOPE-001"),
    (["--key", "PHARM-001", "--set-due", "2026-13-01"], "--set-due: '2026-13-01' is not a date"),
    (["--key", "PHARM-001", "--set-status", "finished"], "--set-status: unknown status 'finished'"),
    (["--key", "PHARM-001", "--set-status", "signed_off"], "--set-status: unknown status 'signed_off'"),
    (["--key", "PHARM-001", "--set-owner", "nobody@riverside.example"], "--set-owner: no person with email"),
    (["--all-matching", "--owner", "nobody@riverside.example", "--set-due", "2027-01-01"], "--owner: no person"),
    (["--all-matching", "--area", "kitchen", "--set-due", "2027-01-01"], "--area: no area 'kitchen'"),
    (["--all-matching", "--status", "nearly", "--set-due", "2027-01-01"], "--status: unknown status 'nearly'"),
    (["--key", "PHARM-001"], "--set-owner: say what to change"),
    (["--set-due", "2027-01-01"], "--key: name the items"),
    (["--key", "PHARM-001", "--area", "pharmacy", "--set-due", "2027-01-01"], "--area: filters choose"),
])
def test_bad_input_names_its_option_exits_2_and_changes_nothing(
    team: Team, session: Session, args: list[str], message: str
) -> None:
    before = updates(session)
    result = bulk(team, *args, "--as", CHAMPION)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert updates(session) == before and item(team, "PHARM-001")["status"] == "not_started"


@pytest.mark.usefixtures("cli_env")
def test_an_unknown_acting_person_or_program_is_one_line(team: Team) -> None:
    nobody = bulk(team, "--key", "PHARM-001", "--set-status", "done", "--as", "ghost@riverside.example")
    assert nobody.exit_code == 2 and "--as: no person with email 'ghost@riverside.example'" in nobody.output
    wrong = runner.invoke(cli, ["items", "bulk", "not-a-uuid", "--key", "PHARM-001", "--set-status", "done",
                                "--as", CHAMPION])
    assert wrong.exit_code == 2 and "PROGRAM_ID: 'not-a-uuid' is not an id" in wrong.output
