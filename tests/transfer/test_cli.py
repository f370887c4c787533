"""`gtready export` and `gtready import` as an operator runs them: back up the demo program, restore it on an
empty server, verify the audit chain there, and be refused a second time or with a damaged archive."""

import re
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests import db_harness

runner = CliRunner()


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    urls = (db_harness.fresh_database_url(tmp_path, f"cli_source_{suffix}"),
            db_harness.fresh_database_url(tmp_path, f"cli_target_{suffix}"))
    yield urls
    if db_harness.USE_POSTGRES:
        for url in urls:
            db_harness.drop_postgres_database(url)


def use(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("GTREADY_DATA_DIR", str(data_dir))
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0


def test_export_then_import_on_another_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, databases: tuple[str, str]
) -> None:
    source, target = databases
    archive = tmp_path / "backup" / "demo.gtready.zip"
    archive.parent.mkdir()

    use(monkeypatch, source, tmp_path / "source-data")
    demo = runner.invoke(cli, ["demo"])
    assert demo.exit_code == 0, demo.output
    match = re.search(r"\(([0-9a-f-]{36})\)", demo.output)
    assert match is not None
    program_id = match.group(1)
    exported = runner.invoke(cli, ["export", program_id, "--out", str(archive)])
    assert exported.exit_code == 0, exported.output
    assert f"exported 'Commercial gene therapy for hemophilia B' ({program_id}) to {archive}" in exported.output
    assert sorted(p.name for p in archive.parent.iterdir()) == ["demo.gtready.zip"]  # no partial file left
    assert not re.search(r"\b1 (people|[a-z-]+s)\b", exported.output), exported.output  # "1 report", not "1 reports"

    use(monkeypatch, target, tmp_path / "target-data")
    imported = runner.invoke(cli, ["import", str(archive)])
    assert imported.exit_code == 0, imported.output
    assert "into new institution 'Riverside University Hospital'" in imported.output
    assert not re.search(r"\b1 (people|[a-z-]+s)\b", imported.output), imported.output
    assert "people created without a password" in imported.output and "champion@riverside.example" in imported.output
    verified = runner.invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0 and "audit chain intact" in verified.output

    again = runner.invoke(cli, ["import", str(archive)])
    assert again.exit_code == 1 and "already exists in this database; nothing imported" in again.output

    damaged = tmp_path / "damaged.gtready.zip"
    with zipfile.ZipFile(archive) as original, zipfile.ZipFile(damaged, "w") as copy:
        for name in original.namelist():
            data = original.read(name)
            copy.writestr(name, data.replace(b"Reviewed for the demo.", b"Reviewed for the demo!"))
    refused = runner.invoke(cli, ["import", str(damaged)])
    assert refused.exit_code == 1
    assert "archive refused: manifest.json does not match manifest.sha256" in refused.output


def test_export_of_an_unknown_program_fails_without_writing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, databases: tuple[str, str]
) -> None:
    use(monkeypatch, databases[0], tmp_path / "data")
    out = tmp_path / "nothing.gtready.zip"
    missing = runner.invoke(cli, ["export", str(uuid.uuid4()), "--out", str(out)])
    assert missing.exit_code == 1 and "program not found" in missing.output
    malformed = runner.invoke(cli, ["export", "PRG-1", "--out", str(out)])
    assert malformed.exit_code == 1 and "PROGRAM_ID: 'PRG-1' is not a program id" in malformed.output
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".*.part")) == []
    nowhere = runner.invoke(cli, ["export", str(uuid.uuid4()), "--out", str(tmp_path / "no-such-dir" / "p.zip")])
    assert nowhere.exit_code == 1 and "--out: No such file or directory" in nowhere.output
