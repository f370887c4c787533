"""What the `gtready` command prints: `tokens create` for script writers, counts in English ("1 page", not
"1 pages"), and reports written where `git status` stays clean."""

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import PROJECT_ROOT, Settings
from tests.conftest import FIXTURE_CHECKLISTS, Team
from tests.factories import make_institution, make_user

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI pointed at the test's own database, checklists and data folder."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GTREADY_CHECKLISTS_DIR", str(settings.checklists_dir))
    monkeypatch.setenv("GTREADY_DATA_DIR", str(settings.data_dir))


def test_tokens_create_prints_a_token_once_that_the_api_accepts(
    cli_env: None, app: FastAPI, session: Session
) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("champion",), email="champion@riverside.example")
    command = ["tokens", "create", "--email", "Champion@Riverside.example", "--name", "nightly export"]
    result = runner.invoke(cli, command)
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("gtr_") and result.output.count("\n") == 1
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.get("/api/auth/me").json()["email"] == "champion@riverside.example"
        listed = client.get("/api/auth/tokens").json()
    assert [t["name"] for t in listed] == ["nightly export"]
    assert token not in str(listed)  # stored hashed: shown that one time only


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--email", "nobody@riverside.example", "--name", "x"], "no user with email nobody@riverside.example"),
        (["--email", "champion@riverside.example", "--name", ""], "gtready: --name: "),
        (["--email", "champion@riverside.example", "--name", "n" * 101], "gtready: --name: "),
    ],
)
def test_tokens_create_refuses_in_one_line(
    cli_env: None, session: Session, arguments: list[str], message: str
) -> None:
    make_user(session, make_institution(session), roles=("champion",), email="champion@riverside.example")
    result = runner.invoke(cli, ["tokens", "create", *arguments])
    assert result.exit_code == 1 and result.output.startswith(message) and result.output.count("\n") == 1


def test_report_command_says_1_page_not_1_pages(
    cli_env: None, team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["report", str(team.program.id), "--kind", "executive"])
    assert result.exit_code == 0, result.output
    assert ": 1 page written to out/readiness-report.pdf" in result.output and "1 pages" not in result.output
    assert (tmp_path / "out" / "readiness-report.pdf").read_bytes().startswith(b"%PDF")


def test_report_written_by_default_leaves_git_status_clean() -> None:
    """The default output folder (out/) is git-ignored, so trying the README's sample report dirties nothing."""
    written = ["out/readiness-report.pdf", "out/demo-report.pdf"]
    command = ["git", "check-ignore", *written]
    ignored = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    assert ignored.stdout.split() == written



def test_validate_says_1_problem_not_1_problems(tmp_path: Path) -> None:
    target = tmp_path / "mini" / "1.0.0"
    shutil.copytree(FIXTURE_CHECKLISTS / "mini" / "1.0.0", target)
    items = target / "items.yaml"
    items.write_text(items.read_text().replace("signoff_role: finance_lead", "signoff_role: bursar", 1))
    result = runner.invoke(cli, ["checklists", "validate", str(target)])
    assert result.exit_code == 1 and result.output.endswith("\n1 problem; nothing loaded\n"), result.output


def test_counts_read_as_english_irregular_plurals_included() -> None:
    from app.cli_support import plural

    assert [plural(1, "report"), plural(2, "report"), plural(0, "sign-off")] == ["1 report", "2 reports", "0 sign-offs"]
    assert [plural(1, "person", "people"), plural(8, "person", "people")] == ["1 person", "8 people"]
