"""Cutting the newest events off the trail is found: checkpoints, report snapshots and a head kept elsewhere anchor
the chain's head, and the verifier names the missing events."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, select, text
from sqlmodel import Session, col
from typer.testing import CliRunner

from app import migrate
from app.audit.service import CHECKPOINT_EVERY, record_event
from app.cli import cli
from app.config import Settings
from app.reports.gather import data_hash
from app.reports.models import Report
from app.reports.schemas import ReportData
from tests import db_harness
from tests.conftest import Team
from tests.reports.test_reports import download, generate, pdf_text
from tests.signoffs.test_signoff_rules import mark_done

runner = CliRunner()


@pytest.fixture
def gtready(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The `gtready` command, on this test's database."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GTREADY_DATA_DIR", str(settings.data_dir))
    yield runner


def add_events(session: Session, count: int) -> None:
    """`count` more events through the one audit writer, each in its own transaction like real changes."""
    for n in range(count):
        record_event(session, None, "note.added", entity="program", entity_key=f"N-{n}")
        session.commit()


def cut_tail(app: FastAPI, after_seq: int) -> None:
    with app.state.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq > :seq"), {"seq": after_seq})


def delete_newest_checkpoint(app: FastAPI) -> None:
    with app.state.engine.begin() as connection:
        newest = "SELECT MAX(number) FROM audit_checkpoints"
        connection.execute(text(f"DELETE FROM audit_checkpoints WHERE number = ({newest})"))  # noqa: S608


def verify(client: TestClient, **params: str) -> dict[str, object]:
    response = client.get("/api/audit/verify", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def head_count(session: Session) -> int:
    return int(session.execute(text("SELECT MAX(seq) FROM audit_events")).scalar_one())


def test_an_intact_trail_passes_against_its_checkpoints_and_report_heads(
    session: Session, team: Team, client: TestClient, gtready: CliRunner
) -> None:
    add_events(session, CHECKPOINT_EVERY + 5)
    generate(team)
    mark_done(team, "PAY-001")
    assert gtready.invoke(cli, ["audit", "checkpoint"]).exit_code == 0
    report = verify(client)
    assert (report["valid"], report["problem"], report["missing_tail"]) == (True, None, None)
    assert report["anchors_checked"] == 3  # the writer's checkpoint at event 100, the report's head, the command's
    result = gtready.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0
    assert result.output == f"audit chain intact: {head_count(session)} events, consistent with 3 anchors " \
        "(checkpoints, report heads, a head given)\n"


def test_cutting_the_tail_past_a_checkpoint_names_the_missing_events(
    app: FastAPI, session: Session, team: Team, client: TestClient, gtready: CliRunner
) -> None:
    add_events(session, CHECKPOINT_EVERY + 3)  # the writer checkpoints event 100 as it appends event 101
    cut_tail(app, 96)
    report = verify(client)
    assert (report["valid"], report["first_bad_seq"], report["missing_tail"]) == (False, 97, {"first": 97, "last": 100})
    assert re.fullmatch(
        r"events 97–100 are missing from the end of the trail: checkpoint 1 of \d{4}-\d\d-\d\d \d\d:\d\d UTC "
        r"recorded event 100, the trail now ends at event 96", str(report["problem"])
    )
    result = gtready.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert result.output.startswith("audit chain BROKEN at event 97: events 97–100 are missing from the end")


def test_cutting_the_tail_and_the_newest_checkpoint_is_still_found_by_an_older_checkpoint(
    app: FastAPI, session: Session, team: Team, client: TestClient, gtready: CliRunner
) -> None:
    add_events(session, 2 * CHECKPOINT_EVERY + 1)  # checkpoints of events 100 and 200
    assert gtready.invoke(cli, ["audit", "checkpoint"]).exit_code == 0  # and one of the head
    cut_tail(app, 98)
    delete_newest_checkpoint(app)
    delete_newest_checkpoint(app)
    report = verify(client)
    assert report["missing_tail"] == {"first": 99, "last": 100}
    assert str(report["problem"]).startswith("events 99–100 are missing from the end of the trail: checkpoint 1 of")


def test_cutting_the_tail_and_every_checkpoint_is_found_by_the_report_snapshot_head(
    app: FastAPI, session: Session, team: Team, client: TestClient
) -> None:
    mark_done(team, "PAY-001")
    mark_done(team, "POL-002")
    recorded = head_count(session)
    number = generate(team)["number"]  # records the head, then its own report.generated event
    mark_done(team, "PHARM-002")
    cut_tail(app, recorded - 1)
    with app.state.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_checkpoints"))
    report = verify(client)
    assert report["missing_tail"] == {"first": recorded, "last": recorded}
    assert re.fullmatch(
        rf"event {recorded} is missing from the end of the trail: report {number} \(\d{{4}}-\d\d-\d\d \d\d:\d\d UTC\) "
        rf"recorded event {recorded}, the trail now ends at event {recorded - 1}", str(report["problem"])
    )
    # a champion verifies the whole deployment's trail, but learns other reports' dates, not their numbers
    as_champion = verify(team.clients["champion"])
    assert as_champion["missing_tail"] == report["missing_tail"] and number not in str(as_champion["problem"])
    assert "a report of " in str(as_champion["problem"])


def test_cutting_from_the_report_event_on_is_found_by_that_event_going_missing(
    app: FastAPI, session: Session, team: Team, client: TestClient
) -> None:
    mark_done(team, "PAY-001")
    recorded = head_count(session)
    number = generate(team)["number"]
    mark_done(team, "POL-002")
    cut_tail(app, recorded)  # the head the report recorded is still there; the report's own event is not
    report = verify(client)
    assert (report["valid"], report["first_bad_seq"]) == (False, recorded + 1)
    assert report["missing_tail"] == {"first": recorded + 1, "last": None}
    assert report["problem"] == (
        f"events after event {recorded} are missing from the end of the trail: report {number} "
        f"({report_time(session, str(number))}) was stored after event {recorded}, and the event recording it is gone"
    )


def stored_report(session: Session, number: str) -> Report:
    return session.scalars(select(Report).where(col(Report.number) == number)).one()


def report_time(session: Session, number: str) -> str:
    return f"{stored_report(session, number).created_at:%Y-%m-%d %H:%M} UTC"


def test_a_cut_tail_covered_by_new_events_is_found_by_the_anchor_hash(
    app: FastAPI, session: Session, team: Team, client: TestClient
) -> None:
    add_events(session, CHECKPOINT_EVERY + 2)
    cut_tail(app, 90)
    add_events(session, 20)  # the writer numbers on from 91: event 100 is there again, but another event
    report = verify(client)
    assert (report["valid"], report["first_bad_seq"], report["missing_tail"]) == (False, 100, None)
    assert re.fullmatch(r"event 100 is not the event checkpoint 1 of .* UTC recorded \(its hash differs\): "
                        r"the trail was rewritten from there or earlier", str(report["problem"]))


def test_head_kept_elsewhere_is_printed_and_checked(
    app: FastAPI, session: Session, team: Team, client: TestClient, gtready: CliRunner
) -> None:
    add_events(session, 5)
    mark_done(team, "PAY-001")
    printed = gtready.invoke(cli, ["audit", "head"])
    assert printed.exit_code == 0
    kept, at = printed.output.split()
    api_head = client.get("/api/audit/head").json()
    assert kept == f"{api_head['seq']}:{api_head['hash']}" and api_head["seq"] == head_count(session)
    assert at.startswith(api_head["at"][:19])
    mark_done(team, "POL-002")
    assert gtready.invoke(cli, ["audit", "verify", "--expect-head", kept]).exit_code == 0
    assert verify(client, expect_head=kept)["anchors_checked"] == 1

    seq = int(kept.split(":")[0])
    cut_tail(app, seq - 2)
    result = gtready.invoke(cli, ["audit", "verify", "--expect-head", kept])
    assert result.exit_code == 1
    assert f"events {seq - 1}–{seq} are missing from the end of the trail: the head kept elsewhere ({kept[:-52]}...) " \
        f"recorded event {seq}, the trail now ends at event {seq - 2}" in result.output
    assert verify(client, expect_head=kept)["missing_tail"] == {"first": seq - 1, "last": seq}

    malformed = gtready.invoke(cli, ["audit", "verify", "--expect-head", "12:not-a-hash"])
    assert malformed.exit_code == 1 and "expected the head as SEQ:HASH" in malformed.output
    assert client.get("/api/audit/verify", params={"expect_head": "12:zz"}).status_code == 422


def test_only_a_site_superuser_reads_the_head(team: Team, client: TestClient) -> None:
    for role in ("administrator", "champion"):
        response = team.clients[role].get("/api/audit/head")
        assert response.status_code == 403
        assert response.json()["detail"] == "only a site superuser reads the audit trail's head"
    assert client.get("/api/audit/head").status_code == 200
    assert team.clients["viewer"].get("/api/audit/verify").status_code == 403


def test_head_and_checkpoint_refuse_an_empty_trail(gtready: CliRunner, app: FastAPI, client: TestClient) -> None:
    with app.state.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events"))
    empty = gtready.invoke(cli, ["audit", "head"])
    assert empty.exit_code == 1 and "the audit trail is empty" in empty.output
    refused = gtready.invoke(cli, ["audit", "checkpoint"])
    assert refused.exit_code == 1 and "there is no head to checkpoint" in refused.output
    assert client.get("/api/audit/head").status_code == 404


def test_removed_or_altered_checkpoints_are_named(
    app: FastAPI, session: Session, team: Team, client: TestClient, gtready: CliRunner
) -> None:
    for _ in range(3):
        assert gtready.invoke(cli, ["audit", "checkpoint"]).output.startswith("checkpoint ")
    with app.state.engine.begin() as connection:
        connection.execute(text("UPDATE audit_checkpoints SET reason = 'nothing to see' WHERE number = 3"))
    assert verify(client)["problem"] == "checkpoint 3 was altered after it was written"
    with app.state.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_checkpoints WHERE number = 2"))
    report = verify(client)
    assert (report["valid"], report["first_bad_seq"]) == (False, None)
    assert report["problem"] == "checkpoint 2 is missing (next is 3)"


def test_the_report_prints_the_head_and_its_hash_covers_it(
    app: FastAPI, session: Session, team: Team, client: TestClient
) -> None:
    mark_done(team, "PAY-001")
    recorded = client.get("/api/audit/head").json()
    meta = generate(team)
    flat = " ".join(pdf_text(download(team, meta["number"])).split())
    assert f"Audit trail when the snapshot was taken: {recorded['seq']} events" in flat
    assert f"{recorded['seq']}:{recorded['hash']}" in flat.replace(" ", "")  # the mono hash may wrap anywhere
    executive = " ".join(pdf_text(download(team, generate(team, "executive")["number"])).split())
    assert "audit trail head" in executive

    stored = stored_report(session, str(meta["number"]))
    assert stored.data["audit_head"]["hash"] == recorded["hash"]
    stored.data = {**stored.data, "audit_head": {**stored.data["audit_head"], "seq": 1}}  # an edited head
    session.add(stored)
    session.commit()
    verified = team.clients["viewer"].get("/api/reports/verify", params={"number": meta["number"]}).json()
    assert verified["matches"] is False


def test_snapshots_from_before_heads_were_recorded_keep_their_hash_and_anchor_nothing(
    session: Session, team: Team, client: TestClient
) -> None:
    meta = generate(team)
    stored = stored_report(session, str(meta["number"]))
    old = {k: v for k, v in stored.data.items() if k != "audit_head"}
    stored.data, stored.data_sha256 = old, data_hash(ReportData.model_validate(old))
    session.add(stored)
    session.commit()
    assert "audit_head" not in ReportData.model_validate(old).model_dump(mode="json")
    verified = team.clients["viewer"].get("/api/reports/verify", params={"number": meta["number"]}).json()
    assert verified["matches"] is True
    report = verify(client)
    assert (report["valid"], report["anchors_checked"]) == (True, 0)


def test_migration_0007_adds_and_removes_the_checkpoints_table(tmp_path: Path) -> None:
    url = db_harness.fresh_database_url(tmp_path, "checkpoints")
    settings = Settings(database_url=url)
    engine = create_engine(url)
    try:
        migrate.upgrade(settings, "0006")
        assert "audit_checkpoints" not in inspect(engine).get_table_names()
        migrate.upgrade(settings, "0007")
        assert "audit_checkpoints" in inspect(engine).get_table_names()
        assert {c["name"] for c in inspect(engine).get_columns("audit_checkpoints")} == {
            "id", "number", "at", "seq", "head_hash", "reason", "prev_hash", "hash"}
        migrate.downgrade(settings, "0006")
        assert "audit_checkpoints" not in inspect(engine).get_table_names()
        assert "audit_events" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
        if db_harness.USE_POSTGRES:
            db_harness.drop_postgres_database(url)
