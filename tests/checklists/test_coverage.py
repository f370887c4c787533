"""Coverage maps: served by the API, printed by the CLI, and the checklists README carries exactly what the CLI
prints, so the documentation cannot claim a coverage the library does not have."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.checklists.coverage import coverage_markdown
from app.checklists.loader import load_catalog
from app.cli import cli
from tests.conftest import REAL_CHECKLISTS

LIFECYCLE_ROOT = Path(__file__).parents[1] / "fixtures" / "lifecycle"
README = REAL_CHECKLISTS / "README.md"
runner = CliRunner()


@pytest.fixture
def checklists_dir() -> Path:
    return LIFECYCLE_ROOT


def test_coverage_is_served_by_the_api(client: TestClient) -> None:
    response = client.get("/api/libraries/lifecycle/1.1.0/coverage")
    assert response.status_code == 200
    (framework,) = response.json()["frameworks"]
    parts = {part["id"]: part for part in framework["parts"]}
    assert framework["source"] == "MASAC 282" and parts["pharmacy"]["items"] == ["PHARM-001", "PHARM-101"]
    assert parts["insurance"] == {"id": "insurance", "title": "Insurance authorization", "items": [],
                                  "unmapped_reason": "Covered by the payer items of a later version"}
    summaries = {(s["id"], s["version"]): s for s in client.get("/api/libraries").json()}
    assert summaries[("lifecycle", "1.1.0")]["has_coverage"] is True


def test_a_library_without_a_coverage_map_answers_404(client: TestClient) -> None:
    response = client.get("/api/libraries/lifecycle/1.0.0/coverage")
    assert response.status_code == 404 and response.json()["detail"] == "library lifecycle 1.0.0 has no coverage map"
    assert client.get("/api/libraries/lifecycle/9.9.9/coverage").status_code == 404


def test_cli_prints_the_markdown_table_with_titles_and_unmapped_reasons() -> None:
    result = runner.invoke(cli, ["checklists", "coverage", str(LIFECYCLE_ROOT / "lifecycle" / "1.1.0"), "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:6] == [
        "#### lifecycle 1.1.0: NBDF MASAC Document #282: HTC preparedness for delivering gene therapy (Oct 2023)",
        "", "Source: MASAC 282.", "", "| Part | Library items | Note |", "| --- | --- | --- |",
    ]
    assert "| Pharmacy | PHARM-001 Storage qualified and monitored<br>PHARM-101 Hemgenix dose worksheet |  |" in (
        result.output
    )
    assert "| Insurance authorization | none | Not mapped: Covered by the payer items of a later version |" in (
        result.output
    )
    plain = runner.invoke(cli, ["checklists", "coverage", str(LIFECYCLE_ROOT / "lifecycle" / "1.1.0")])
    assert "masac-282: 2 of 3 parts covered (MASAC 282)" in plain.output
    assert "insurance: unmapped: Covered by the payer items of a later version" in plain.output


def test_cli_coverage_of_a_broken_library_names_the_problem(tmp_path: Path) -> None:
    target = tmp_path / "lifecycle" / "1.1.0"
    target.mkdir(parents=True)
    for source in (LIFECYCLE_ROOT / "lifecycle" / "1.1.0").iterdir():
        (target / source.name).write_text(source.read_text().replace("[FU-001]", "[FU-404]"))
    result = runner.invoke(cli, ["checklists", "coverage", str(target), "--markdown"])
    assert result.exit_code == 1 and "unknown item 'FU-404'" in result.output


def test_the_checklists_readme_carries_every_coverage_table_as_the_cli_prints_it() -> None:
    readme = README.read_text(encoding="utf-8")
    mapped = [library for library in load_catalog(REAL_CHECKLISTS).all() if library.coverage is not None]
    for library in mapped:
        folder = REAL_CHECKLISTS / library.id / library.version
        printed = runner.invoke(cli, ["checklists", "coverage", str(folder), "--markdown"]).output
        assert printed == coverage_markdown(library)
        command = f"gtready checklists coverage {folder.relative_to(REAL_CHECKLISTS.parent)} --markdown"
        assert printed in readme, f"checklists/README.md differs from `{command}`: paste its output into the README"


def test_nothing_in_a_shipped_coverage_map_is_unmapped_without_a_reason() -> None:
    for library in load_catalog(REAL_CHECKLISTS).all():
        for framework in library.coverage.frameworks if library.coverage else []:
            for part in framework.parts:
                assert part.items or (part.unmapped_reason or "").strip(), f"{library.key} {part.id}"
