"""A new user's first start: the database folder is made on first use, and a start that cannot work says why in
one line (exit 1, no traceback) for `db upgrade`, `demo` and `serve`."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from app import migrate
from app.cli import cli
from app.config import PROJECT_ROOT, Settings
from app.db import make_engine
from tests import db_harness

runner = CliRunner()
GTREADY = str(Path(sys.executable).parent / "gtready")  # the console script, as a user runs it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("GTREADY_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path) -> Iterator[str]:
    """A fresh database of the configured kind, set as the command's DATABASE_URL."""
    url = db_harness.fresh_database_url(tmp_path, "first_run")
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    if db_harness.USE_POSTGRES:
        db_harness.drop_postgres_database(url)


@pytest.mark.parametrize("opener", ["migrations", "engine", "cli"])
def test_sqlite_database_folder_is_created_wherever_the_database_is_first_opened(
    opener: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone has no var/: migrating, the app's engine and the CLI each create the folder."""
    database = tmp_path / "var" / "nested" / "gtready.db"
    settings = Settings(database_url=f"sqlite:///{database}", data_dir=tmp_path / "var")
    if opener == "migrations":
        migrate.upgrade(settings)
    elif opener == "engine":
        engine = make_engine(settings)
        with engine.connect():
            pass
        engine.dispose()
    else:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
        monkeypatch.setenv("GTREADY_DATA_DIR", str(settings.data_dir))
        result = runner.invoke(cli, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
    assert database.is_file()
    if opener != "engine":
        engine = make_engine(settings)
        assert "programs" in inspect(engine).get_table_names()
        engine.dispose()


def closed_postgres_url() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gtready"


BAD_DATABASES = {
    "unparsable URL": ("not a database url", "Could not parse SQLAlchemy URL"),
    "unknown driver": ("postgresql+nodriver://postgres@127.0.0.1/gtready", "Can't load plugin"),
    "server not running": (None, "Connection refused"),
    "folder cannot be created": ("sqlite:///{file}/var/gtready.db", "Not a directory"),
}


@pytest.mark.parametrize("command", [["db", "upgrade"], ["demo"], ["serve", "--port", "0"]])
@pytest.mark.parametrize("fault", sorted(BAD_DATABASES))
def test_a_database_that_cannot_be_opened_is_one_line_naming_it(
    command: list[str], fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    template, reason = BAD_DATABASES[fault]
    url = closed_postgres_url() if template is None else template.format(file=a_file)
    monkeypatch.setenv("DATABASE_URL", url)
    result = runner.invoke(cli, command)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1, result.output
    assert result.output.startswith(f"gtready: cannot open the database at {url}: "), result.output
    assert reason in result.output and "Traceback" not in result.output


def test_the_database_password_is_not_printed(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    url = closed_postgres_url().replace("postgres@", "postgres:s3cret-pass@")
    monkeypatch.setenv("DATABASE_URL", url)
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 1 and "s3cret-pass" not in result.output and "postgres:***@" in result.output


@pytest.mark.parametrize("command", [["demo"], ["serve", "--port", "0"]])
def test_an_unwritable_data_folder_is_one_line_naming_it(
    command: list[str], database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    monkeypatch.setenv("GTREADY_DATA_DIR", str(a_file / "data"))
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(cli, command)
    assert result.exit_code == 1
    target = a_file / "data"
    assert result.output == f"gtready: cannot write the data folder {target}: Not a directory: {target}\n"


def test_serve_on_a_port_in_use_is_one_line_and_exit_1(database_url: str, tmp_path: Path) -> None:
    """As a user sees it: a real `gtready serve` process, stderr only the cause."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        environment = {**os.environ, "DATABASE_URL": database_url, "GTREADY_DATA_DIR": str(tmp_path / "data")}
        done = subprocess.run(  # noqa: S603
            [GTREADY, "serve", "--port", str(port)], env=environment, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"gtready: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert done.stderr.count("\n") == 1


def test_db_upgrade_with_an_unreachable_database_prints_no_traceback(tmp_path: Path) -> None:
    url = closed_postgres_url()
    environment = {**os.environ, "DATABASE_URL": url, "GTREADY_DATA_DIR": str(tmp_path / "data")}
    command = [GTREADY, "db", "upgrade"]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)  # noqa: S603
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith(f"gtready: cannot open the database at {url}: connection failed")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_ci_starts_the_service_like_a_new_user_before_the_test_suites() -> None:
    """CI's clone is a fresh clone: `make run` there (the smoke script) is the first-run check, before any suite."""
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert "bash scripts/smoke-first-run" in ci
    assert ci.index("bash scripts/smoke-first-run") < ci.index("\nmake test") < ci.index("pytest")
    smoke = (PROJECT_ROOT / "scripts" / "smoke-first-run").read_text()
    assert "make run" in smoke and "DATABASE_URL=" in smoke and "GTREADY_DATA_DIR=" in smoke
