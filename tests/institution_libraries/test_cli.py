"""`gtready checklists export` and `gtready checklists import FILE --institution ID` as an operator runs them."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.institution_libraries.models import InstitutionLibrary
from tests.factories import make_institution
from tests.institution_libraries.helpers import edited, set_library_field

runner = CliRunner()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GTREADY_CHECKLISTS_DIR", str(settings.checklists_dir))
    monkeypatch.setenv("GTREADY_DATA_DIR", str(settings.data_dir))


def test_export_edit_and_import_a_workbook(
    app: FastAPI, session: Session, tmp_path: Path, environment: None
) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    workbook = tmp_path / "mini.xlsx"
    exported = runner.invoke(cli, ["checklists", "export", "mini", "1.1.0", "--out", str(workbook)])
    assert exported.exit_code == 0, exported.output
    assert exported.output.strip() == f"wrote mini 1.1.0 (6 items) to {workbook}"
    workbook.write_bytes(edited(workbook.read_bytes(), lambda book: set_library_field(book, "id", "riverside-mini")))
    imported = runner.invoke(cli, ["checklists", "import", str(workbook), "--institution", str(institution.id)])
    assert imported.exit_code == 0, imported.output
    assert imported.output.startswith(f"stored riverside-mini 1.1.0 (6 items) for institution {institution.id} "
                                      "from mini.xlsx (SHA-256 ")
    assert session.exec(select(InstitutionLibrary.library_id)).all() == ["riverside-mini"]
    again = tmp_path / "again.yaml"
    back = runner.invoke(cli, ["checklists", "export", "riverside-mini", "1.1.0", "--out", str(again),
                               "--institution", str(institution.id)])
    assert back.exit_code == 0, back.output
    assert again.read_text().startswith("id: riverside-mini\nversion: 1.1.0\n")


def test_a_bad_file_prints_every_problem_and_stores_nothing(
    app: FastAPI, session: Session, tmp_path: Path, environment: None
) -> None:
    institution = make_institution(session)
    bad = tmp_path / "library.yaml"
    bad.write_text("id: Mine\nversion: one\n", encoding="utf-8")
    result = runner.invoke(cli, ["checklists", "import", str(bad), "--institution", str(institution.id)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert "library.yaml line 1: id: id 'Mine' is not of the form lowercase-slug" in lines
    assert "library.yaml line 2: version: version 'one' is not of the form 1.2.0" in lines
    assert lines[-1].startswith("library.yaml: ") and lines[-1].endswith("problems; nothing was stored")
    assert session.exec(select(InstitutionLibrary)).all() == []


def test_an_unknown_institution_is_one_line(app: FastAPI, tmp_path: Path, environment: None) -> None:
    workbook = tmp_path / "mini.xlsx"
    runner.invoke(cli, ["checklists", "export", "mini", "1.1.0", "--out", str(workbook)])
    result = runner.invoke(cli, ["checklists", "import", str(workbook), "--institution",
                                 "00000000-0000-4000-8000-000000000000"])
    assert (result.exit_code, result.output) == (1, "institution not found\n")
    result = runner.invoke(cli, ["checklists", "import", str(workbook), "--institution", "riverside"])
    assert (result.exit_code, result.output) == (1, "--institution: 'riverside' is not an institution id (a UUID)\n")
