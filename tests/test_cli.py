"""The `gtready` command as a user runs it."""

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session, create_engine
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.auth.service import authenticate
from app.cli import cli
from tests.conftest import FIXTURE_CHECKLISTS

runner = CliRunner()


def test_validate_reports_each_library() -> None:
    result = runner.invoke(cli, ["checklists", "validate", str(FIXTURE_CHECKLISTS)])
    assert result.exit_code == 0
    assert "ok  mini 1.0.0: 6 items in 3 areas" in result.output


def test_validate_fails_with_file_and_line(tmp_path: Path) -> None:
    target = tmp_path / "mini" / "1.0.0"
    shutil.copytree(FIXTURE_CHECKLISTS / "mini" / "1.0.0", target)
    items = target / "items.yaml"
    items.write_text(items.read_text().replace("signoff_role: finance_lead", "signoff_role: bursar"))
    result = runner.invoke(cli, ["checklists", "validate", str(target)])
    assert result.exit_code == 1
    assert "items.yaml line" in result.output and "unknown sign-off role 'bursar'" in result.output
    assert "nothing loaded" in result.output


def test_db_upgrade_demo_audit_verify_and_create_admin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tests import db_harness

    url = db_harness.fresh_database_url(tmp_path, "cli")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("GTREADY_DATA_DIR", str(tmp_path / "data"))
    try:
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        first = runner.invoke(cli, ["demo"])
        second = runner.invoke(cli, ["demo"])
        assert first.exit_code == 0, first.output
        assert first.output == second.output and "Commercial gene therapy for hemophilia B" in first.output
        assert "pharmacy@riverside.example       Pharmacy lead" in first.output
        verified = runner.invoke(cli, ["audit", "verify"])
        assert verified.exit_code == 0 and "audit chain intact" in verified.output
        with Session(create_engine(url)) as session:  # the demo's work happened over weeks, through the services
            events = session.execute(select(AuditEvent.action, AuditEvent.at)).all()
        updates = [at for action, at in events if action == "item.updated"]
        assert len(updates) > 100 and max(updates) - min(updates) > timedelta(weeks=4)
        assert sum(action == "item.signed_off" for action, _ in events) >= 8
        admin = ["users", "create-admin", "--email", "root@example.org", "--full-name", "Root",
                 "--password", "root passphrase"]
        assert runner.invoke(cli, admin).output == "superuser root@example.org created\n"
        weak = runner.invoke(cli, [*admin[:-1], "pw-123"])
        assert weak.exit_code == 1 and "at least 12 characters" in weak.output
        again = runner.invoke(cli, admin)
        assert again.exit_code == 1 and "already exists" in again.output

        reset = ["users", "set-password", "--email", "viewer@riverside.example", "--password"]
        short = runner.invoke(cli, [*reset, "too-short"])
        assert short.exit_code == 1 and "at least 12 characters" in short.output
        unknown = runner.invoke(cli, ["users", "set-password", "--email", "nobody@x.example", "--password", "p" * 12])
        assert unknown.exit_code == 1 and "no user with email nobody@x.example" in unknown.output
        done = runner.invoke(cli, [*reset, "a new passphrase"])
        assert done.output == "password set for viewer@riverside.example\n"
        with Session(create_engine(url)) as session:
            assert authenticate(session, "viewer@riverside.example", "a new passphrase").email.startswith("viewer")
        verified = runner.invoke(cli, ["audit", "verify"])
        assert verified.exit_code == 0 and "audit chain intact" in verified.output
    finally:
        if db_harness.USE_POSTGRES:
            db_harness.drop_postgres_database(url)
