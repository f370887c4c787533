"""`gtready dossier PROGRAM_ID --product P --out FILE.zip` and `gtready dossier verify FILE.zip`."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from tests.conftest import Team
from tests.dossier.conftest import attach, pdf_bytes, repack

runner = CliRunner()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GTREADY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GTREADY_CHECKLISTS_DIR", str(settings.checklists_dir))


def test_the_command_writes_a_dossier_that_verifies_and_a_tampered_copy_that_does_not(
    environment: None, site: Team, tmp_path: Path
) -> None:
    attach(site, "PHARM-101", "equipment_qualification", "fridge.pdf", pdf_bytes("fridge"))
    out = tmp_path / "out" / "hemgenix.zip"
    out.parent.mkdir()
    made = runner.invoke(cli, ["dossier", str(site.program.id), "--product", "hemgenix", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert f"for Hemgenix (etranacogene dezaparvovec) written to {out}: 12 site requirements, 1 evidence file" \
        in made.output
    assert sorted(p.name for p in out.parent.iterdir()) == ["hemgenix.zip"]  # no partial file left

    verified = runner.invoke(cli, ["dossier", "verify", str(out)])
    assert verified.exit_code == 0, verified.output
    assert "verifies: 2 files match the manifest, the manifest matches the stored record (the very zip generated)" \
        in verified.output

    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(repack(out.read_bytes(), {"evidence/PHARM-101/fridge.pdf": pdf_bytes("forged")}))
    refused = runner.invoke(cli, ["dossier", "verify", str(tampered)])
    assert refused.exit_code == 1
    assert "evidence/PHARM-101/fridge.pdf: does not match the manifest" in refused.output
    assert "does NOT verify (1 problem)" in refused.output


def test_mistakes_are_one_line(environment: None, site: Team, tmp_path: Path) -> None:
    unknown = runner.invoke(cli, ["dossier", str(site.program.id), "--product", "zolgensma"])
    assert unknown.exit_code == 1 and "'zolgensma' is not a product of this library" in unknown.output
    assert "Traceback" not in unknown.output
    assert runner.invoke(cli, ["dossier", "not-an-id", "--product", "hemgenix"]).exit_code == 2
    assert runner.invoke(cli, ["dossier", str(site.program.id)]).exit_code == 2
    assert runner.invoke(cli, ["dossier", "verify", str(tmp_path / "missing.zip")]).exit_code == 2
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    bad = runner.invoke(cli, ["dossier", "verify", str(junk)])
    assert bad.exit_code == 1 and "file: not a readable zip archive" in bad.output
