"""Reports generated in the background: queued, claimed by exactly one process, progress visible to others while
the PDF renders, failures explained in words, stalled claims given back, and the worker taking what is left."""

import io
import threading
import time
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlmodel import Session
from typer.testing import CliRunner

from app.auth.models import User
from app.cli import cli
from app.clock import frozen_at, utcnow
from app.db import make_engine
from app.programs.models import Program
from app.reports import jobs
from app.reports.models import Report, ReportJob
from app.reports.schemas import ReportKind
from app.reports.service import generate_report
from app.worker import run_once
from tests.conftest import Team


def _enqueue(session: Session, team: Team, kind: ReportKind = ReportKind.EXECUTIVE, who: str = "champion") -> ReportJob:
    actor = session.get(User, team.people[who].id)
    program = session.get(Program, team.program.id)
    assert actor is not None and program is not None
    return jobs.enqueue_report_job(session, actor, program, kind, "Steering committee")


def _job(app: FastAPI, job_id: object) -> ReportJob:
    with Session(app.state.engine) as fresh:
        job = fresh.get(ReportJob, job_id)
        assert job is not None
        fresh.expunge(job)
        return job


def _reports(app: FastAPI) -> list[str]:
    with Session(app.state.engine) as fresh:
        return sorted(fresh.scalars(select(Report.number)))


def test_the_api_answers_at_once_with_the_job_then_shows_it_done_with_the_report(team: Team) -> None:
    champion = team.clients["champion"]
    accepted = champion.post(team.url("/report-jobs"), json={"kind": "executive", "prepared_for": "Board"})
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    # The answer describes the job as it was queued; this process ran it right after answering.
    assert body["state"] == "queued" and body["progress"] == 0 and body["report_number"] is None
    assert body["requested_by_name"] == team.people["champion"].full_name and body["prepared_for"] == "Board"
    done = team.clients["viewer"].get(f"/api/report-jobs/{body['id']}").json()
    assert done["state"] == "done" and done["progress"] == 1 and done["error"] == ""
    assert done["finished_at"] and done["started_at"]
    pdf = team.clients["viewer"].get(f"/api/reports/{done['report_number']}/pdf")
    assert pdf.status_code == 200
    assert done["report_number"] in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()


def test_only_managers_start_jobs_and_only_members_follow_them(team: Team, outsider: TestClient) -> None:
    refused = team.clients["viewer"].post(team.url("/report-jobs"), json={"kind": "full"})
    assert refused.status_code == 403 and "champion" in refused.json()["detail"]
    job_id = team.clients["administrator"].post(team.url("/report-jobs"), json={"kind": "executive"}).json()["id"]
    assert outsider.get(f"/api/report-jobs/{job_id}").status_code == 404
    assert outsider.post(team.url("/report-jobs"), json={"kind": "full"}).status_code == 404
    bad = team.clients["champion"].post(team.url("/report-jobs"), json={"kind": "novel"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "kind"]


def test_two_claimants_racing_for_one_job_one_wins(app: FastAPI, session: Session, team: Team) -> None:
    job = _enqueue(session, team)
    engines = [make_engine(app.state.settings) for _ in range(2)]
    barrier = threading.Barrier(2)
    claims: list[jobs.Claim | None] = []

    def claimant(index: int) -> None:
        with Session(engines[index]) as own:
            barrier.wait()
            claims.append(jobs.claim_job(own, job.id))

    threads = [threading.Thread(target=claimant, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert sorted(claim is not None for claim in claims) == [False, True]
    claimed = _job(app, job.id)
    assert claimed.state == "running" and claimed.attempts == 1


def test_two_workers_racing_generate_every_queued_report_exactly_once(
    app: FastAPI, session: Session, team: Team
) -> None:
    queued = [_enqueue(session, team).id for _ in range(4)]
    engines = [make_engine(app.state.settings) for _ in range(2)]
    barrier = threading.Barrier(2)
    ran: list[int] = []

    def worker(index: int) -> None:
        barrier.wait()
        ran.append(jobs.run_queued_jobs(engines[index], lambda: app.state.catalog))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert sum(ran) == 4
    finished = [_job(app, job_id) for job_id in queued]
    assert [j.state for j in finished] == ["done"] * 4 and all(j.attempts == 1 for j in finished)
    numbers = _reports(app)
    assert len(numbers) == 4 and sorted(j.report_number for j in finished) == numbers


def test_generation_reports_each_step_in_order(app: FastAPI, session: Session, team: Team) -> None:
    steps: list[tuple[str, float]] = []
    program = session.get(Program, team.program.id)
    assert program is not None
    generate_report(session, app.state.catalog, None, program, ReportKind.EXECUTIVE, "Board",
                    lambda step, fraction: steps.append((step, fraction)))
    assert [s for s, _ in steps] == ["Gathering the program's facts", "Laying out and rendering the PDF",
                                     "Storing the report"]
    assert [f for _, f in steps] == sorted(f for _, f in steps) and all(0 < f < 1 for _, f in steps)


def test_progress_is_visible_to_another_session_while_the_pdf_renders(
    app: FastAPI, session: Session, team: Team
) -> None:
    job = _enqueue(session, team, ReportKind.FULL)
    seen: set[tuple[str, str]] = set()
    runner = threading.Thread(target=jobs.run_report_job, args=(app.state.engine, app.state.catalog, job.id))
    runner.start()
    while runner.is_alive():
        current = _job(app, job.id)
        seen.add((current.state, current.step))
        time.sleep(0.02)
    runner.join()
    assert ("running", "Laying out and rendering the PDF") in seen, seen
    assert _job(app, job.id).state == "done"


def test_a_requester_who_lost_the_right_meanwhile_gets_a_failed_job_saying_why(
    app: FastAPI, session: Session, team: Team
) -> None:
    job = _enqueue(session, team)
    champion = team.people["champion"]
    removed = team.clients["administrator"].delete(
        f"/api/institutions/{team.institution.id}/members/{champion.id}/roles/champion")
    assert removed.status_code == 200, removed.text
    finished = jobs.run_report_job(app.state.engine, app.state.catalog, job.id)
    assert finished is not None and finished.state == "failed" and finished.report_number is None
    assert finished.error.startswith(f"{champion.full_name} is no longer a champion or administrator")
    assert _reports(app) == []


def test_a_kind_this_server_does_not_know_fails_in_words_and_nothing_is_stored(
    app: FastAPI, session: Session, team: Team
) -> None:
    """A newer replica may queue a kind an older worker lacks, during a rolling upgrade."""
    job = _enqueue(session, team)
    with app.state.engine.begin() as connection:
        connection.execute(text("UPDATE report_jobs SET kind = 'board-pack'"))
    finished = jobs.run_report_job(app.state.engine, app.state.catalog, job.id)
    assert finished is not None and finished.state == "failed"
    assert finished.error == "this server does not know the report kind 'board-pack'"
    shown = team.clients["champion"].get(f"/api/report-jobs/{job.id}").json()
    assert shown["kind"] == "board-pack" and shown["state"] == "failed"
    assert _reports(app) == []


def test_a_stalled_claim_is_given_back_and_its_old_claimant_stores_nothing(
    app: FastAPI, session: Session, team: Team
) -> None:
    job = _enqueue(session, team)
    first = jobs.claim_job(session, job.id)
    assert first is not None
    assert jobs.claim_job(session, job.id) is None  # running and fresh: nobody else takes it
    with frozen_at(utcnow() + jobs.STALE_CLAIM + timedelta(minutes=1)):
        second = jobs.claim_job(session)
        assert second is not None and second.job_id == job.id and second.token != first.token
        assert _job(app, job.id).attempts == 2
        # The first claimant wakes up: its claim is gone, so it stops before storing anything.
        assert jobs.run_claimed_job(app.state.engine, app.state.catalog, first) is None
        assert _reports(app) == []
        finished = jobs.run_claimed_job(app.state.engine, app.state.catalog, second)
    assert finished is not None and finished.state == "done"
    assert _reports(app) == [finished.report_number]


def test_a_job_that_keeps_stalling_its_process_fails_saying_so(app: FastAPI, session: Session, team: Team) -> None:
    job = _enqueue(session, team)
    moment = utcnow()
    for _ in range(jobs.MAX_ATTEMPTS):
        with frozen_at(moment):
            assert jobs.claim_job(session, job.id) is not None
        moment += jobs.STALE_CLAIM + timedelta(minutes=1)
    with frozen_at(moment):
        assert jobs.claim_job(session) is None
    failed = _job(app, job.id)
    assert failed.state == "failed" and "stopped answering 3 times" in failed.error


def test_the_worker_pass_generates_what_the_web_process_left_queued(
    app: FastAPI, session: Session, team: Team
) -> None:
    job = _enqueue(session, team)
    result = run_once(app.state.engine, app.state.settings)
    assert result.errors == [] and result.reports == 1
    assert _job(app, job.id).state == "done"
    assert run_once(app.state.engine, app.state.settings).reports == 0


def test_gtready_worker_once_says_how_many_reports_it_generated(
    app: FastAPI, session: Session, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    _enqueue(session, team)
    settings = app.state.settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GTREADY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("GTREADY_CHECKLISTS_DIR", str(settings.checklists_dir))
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 report generated" in result.output
    with Session(app.state.engine) as fresh:
        assert fresh.scalar(select(func.count()).select_from(Report)) == 1
