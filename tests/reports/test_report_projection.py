"""Every report opens with the first-patient projection in one line, and the snapshot hash covers it."""

from datetime import date, timedelta

from fastapi import FastAPI
from sqlmodel import Session

from app.clock import today
from app.programs.service import get_program
from app.reports.gather import data_hash, gather
from app.reports.schemas import ReportKind
from tests.conftest import Team
from tests.reports.test_reports import download, generate, pdf_text


def day(value: date) -> str:
    """How the report prints a date: 30 Nov 2026."""
    return f"{value.day} {value:%b %Y}"


def plan(team: Team, target_in: int) -> None:
    champion = team.clients["champion"]
    for key, days in (("PHARM-001", 40), ("POL-001", 10), ("PHARM-002", 5)):
        version = champion.get(team.url(f"/items/{key}")).json()["version"]
        due = (today() + timedelta(days)).isoformat()
        response = champion.patch(team.url(f"/items/{key}"), json={"due_date": due, "version": version})
        assert response.status_code == 200, response.text
    target = (today() + timedelta(target_in)).isoformat()
    assert champion.put(team.url("/target"), json={"first_patient_target": target}).status_code == 200


def test_both_report_kinds_open_with_the_projection_and_the_item_that_moved_it(team: Team) -> None:
    plan(team, target_in=20)
    projected, target = today() + timedelta(40), today() + timedelta(20)
    for kind in ("full", "executive"):
        flat = " ".join(pdf_text(download(team, generate(team, kind)["number"])).split())
        assert (f"Projected first-patient date: {day(projected)}, target {day(target)}, slipped 20 days because of "
                "PHARM-001 Storage qualified.") in flat, kind


def test_a_report_on_time_or_without_due_dates_says_so(team: Team) -> None:
    flat = " ".join(pdf_text(download(team, generate(team, "executive")["number"])).split())
    assert "Projected first-patient date: unknown: no due date on PHARM-001, POL-001." in flat
    plan(team, target_in=60)
    flat = " ".join(pdf_text(download(team, generate(team, "executive")["number"])).split())
    projected, target = today() + timedelta(40), today() + timedelta(60)
    assert f"Projected first-patient date: {day(projected)}, target {day(target)}, on time." in flat


def test_the_snapshot_hash_covers_the_projection(app: FastAPI, session: Session, team: Team) -> None:
    def snapshot_hash() -> str:
        program = get_program(session, team.program.id)
        session.refresh(program)
        data = gather(session, app.state.catalog, program,
                      number="GTR-2026-000001", kind=ReportKind.FULL, prepared_for="x", prepared_by="y",
                      now=program.created_at)
        assert data.projection is not None
        return data_hash(data)

    plan(team, target_in=20)
    before = snapshot_hash()
    team.clients["champion"].put(team.url("/target"), json={"first_patient_target": None})
    assert snapshot_hash() != before
