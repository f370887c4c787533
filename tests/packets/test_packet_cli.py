"""`gtready report PROGRAM --kind pt-committee` stores and writes a packet like any report."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from tests.conftest import Team

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GTREADY_CHECKLISTS_DIR", str(settings.checklists_dir))
    monkeypatch.setenv("GTREADY_DATA_DIR", str(settings.data_dir))


def test_the_cli_makes_a_pt_committee_packet(cli_env: None, real_team: Team, tmp_path: Path) -> None:
    out = tmp_path / "pt.pdf"
    result = runner.invoke(cli, ["report", str(real_team.program.id), "--kind", "pt-committee", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("GTR-") and str(out) in result.output
    text = " ".join(PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text().split())
    assert "Pharmacy and Therapeutics committee packet" in text
    listed = real_team.clients["viewer"].get(real_team.url("/reports")).json()
    assert [r["kind"] for r in listed] == ["pt-committee"]


def test_an_unknown_kind_is_one_line_and_exit_code_1(cli_env: None, real_team: Team) -> None:
    result = runner.invoke(cli, ["report", str(real_team.program.id), "--kind", "board"])
    assert result.exit_code == 1 and "board" in result.output and result.output.count("\n") == 1
