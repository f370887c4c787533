"""Verifying a report by its number, its data hash or its PDF file: the JSON API and the readable page, with the
access rules of GET /api/reports/verify (numbers only within your institutions; the hash or file for anyone
signed in); and the reports page's background generation as a person sees it without JavaScript."""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.programs.models import Program
from app.reports import jobs
from app.reports.schemas import ReportKind
from tests.conftest import PASSWORD, Team
from tests.factories import make_institution, make_program, make_user
from tests.security.conftest import web_login


def _report(team: Team) -> tuple[dict[str, str], bytes]:
    meta = team.clients["champion"].post(team.url("/reports"), json={"kind": "executive"}).json()
    pdf = team.clients["viewer"].get(f"/api/reports/{meta['number']}/pdf").content
    return meta, pdf


def _tampered(pdf: bytes) -> bytes:
    return pdf.replace(b"/Producer", b"/Producex", 1) if b"/Producer" in pdf else pdf + b"\n%tampered\n"


def test_the_api_verifies_a_pdf_file_draft_and_final_and_refuses_a_tampered_one(
    team: Team, outsider: TestClient
) -> None:
    meta, draft = _report(team)
    viewer = team.clients["viewer"]
    found = viewer.post("/api/reports/verify", files={"file": ("r.pdf", draft, "application/pdf")}).json()
    assert found["matches"] is True and found["number"] == meta["number"] and found["pdf"] == "draft"
    # Whoever holds the file may verify it, like whoever holds the hash.
    assert outsider.post("/api/reports/verify", files={"file": ("r.pdf", draft)}).json()["number"] == meta["number"]
    fake = viewer.post("/api/reports/verify", files={"file": ("r.pdf", _tampered(draft))}).json()
    assert fake == {"matches": False, "number": None, "program": None, "institution": None, "generated_at": None,
                    "generated_by": None, "overall_ratio": None, "gate_open": None, "data_sha256": None}
    assert team.clients["champion"].post(f"/api/reports/{meta['number']}/finalise").status_code == 200
    final = viewer.get(f"/api/reports/{meta['number']}/pdf").content
    assert final != draft
    assert viewer.post("/api/reports/verify", files={"file": ("f.pdf", final)}).json()["pdf"] == "final"
    assert viewer.post("/api/reports/verify", files={"file": ("d.pdf", draft)}).json()["pdf"] == "draft"
    empty = viewer.post("/api/reports/verify", files={"file": ("e.pdf", b"")})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "file"]


def _browser(app: FastAPI, email: str) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    return client, web_login(client, email)


def test_the_verify_page_answers_a_number_a_wrapped_hash_and_a_dropped_file_in_words(
    app: FastAPI, team: Team
) -> None:
    meta, pdf = _report(team)
    browser, csrf = _browser(app, "viewer@riverside.example")
    by_number = browser.get("/verify", params={"q": meta["number"].lower()})
    assert by_number.status_code == 200 and f"{meta['number']} is genuine." in by_number.text
    assert "Riverside University Hospital" in by_number.text and "Verify another report" in by_number.text
    wrapped = meta["data_sha256"][:32] + "\n " + meta["data_sha256"][32:].upper()  # as copied from the PDF
    assert f"{meta['number']} is genuine." in browser.get("/verify", params={"q": wrapped}).text
    dropped = browser.post("/verify", data={"csrf_token": csrf}, files={"file": ("report.pdf", pdf)})
    assert dropped.status_code == 200 and f"{meta['number']} is genuine." in dropped.text
    assert "the draft PDF (watermarked DRAFT)" in dropped.text
    tampered = browser.post("/verify", data={"csrf_token": csrf}, files={"file": ("report.pdf", _tampered(pdf))})
    assert tampered.status_code == 200 and "Not found." in tampered.text
    assert f"{meta['number']} is genuine" not in tampered.text
    nothing = browser.post("/verify", data={"csrf_token": csrf})
    assert nothing.status_code == 422 and "Choose the report&#39;s PDF file first." in nothing.text
    typo = browser.get("/verify", params={"q": "GTR-26-1"})
    assert typo.status_code == 422 and 'aria-invalid="true"' in typo.text
    assert "Enter a report number such as GTR-2026-000001" in typo.text
    assert 'value="GTR-26-1"' in typo.text  # what was typed is kept
    assert browser.post("/verify", data={"csrf_token": "wrong"}, files={"file": ("r.pdf", pdf)}).status_code == 403


def test_the_verify_page_keeps_numbers_within_your_institutions_but_answers_the_hash(
    app: FastAPI, team: Team, outsider: TestClient, session: Session
) -> None:
    meta, _ = _report(team)
    elsewhere = make_institution(session, "Lakeside Clinic")
    make_user(session, elsewhere, roles=("viewer",), email="viewer@lakeside.example", password=PASSWORD)
    browser, _ = _browser(app, "viewer@lakeside.example")
    by_number = browser.get("/verify", params={"q": meta["number"]}).text
    assert "Not found." in by_number and "Riverside" not in by_number
    assert f"{meta['number']} is genuine." in browser.get("/verify", params={"q": meta["data_sha256"]}).text
    anonymous = TestClient(app, follow_redirects=False).get("/verify")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_the_old_verify_address_of_the_reports_page_now_opens_the_verify_page(app: FastAPI, team: Team) -> None:
    browser, _ = _browser(app, "viewer@riverside.example")
    moved = browser.get(f"/programs/{team.program.id}/reports", params={"verify": "GTR-2026-000001"})
    assert moved.status_code == 303 and moved.headers["location"] == "/verify?q=GTR-2026-000001"


def test_generating_on_the_page_answers_at_once_then_shows_the_download(app: FastAPI, team: Team) -> None:
    browser, csrf = _browser(app, "champion@riverside.example")
    reports = f"/programs/{team.program.id}/reports"
    made = browser.post(reports, data={"kind": "executive", "prepared_for": "Board", "csrf_token": csrf})
    assert made.status_code == 303 and re.fullmatch(rf"{reports}\?job=[0-9a-f-]{{36}}", made.headers["location"])
    page = browser.get(made.headers["location"]).text
    number = re.search(r"Report (GTR-\d{4}-\d{6}) generated\.", page)
    assert number, page
    assert f'href="/api/reports/{number.group(1)}/pdf">Download PDF' in page
    assert "hx-trigger" not in page.split('id="report-job-')[1].split("</section>")[0]  # done: polling stops


def test_a_queued_job_polls_its_panel_and_works_without_javascript(
    app: FastAPI, session: Session, team: Team
) -> None:
    actor, program = session.get(User, team.people["champion"].id), session.get(Program, team.program.id)
    assert actor is not None and program is not None
    job = jobs.enqueue_report_job(session, actor, program, ReportKind.FULL, "Board")  # nobody has run it yet
    browser, _ = _browser(app, "viewer@riverside.example")
    page = browser.get(f"/programs/{team.program.id}/reports").text  # a job in progress shows to every member
    assert "Generating the full report…" in page and "Waiting to start · 0%" in page
    panel_url = f"/programs/{team.program.id}/report-jobs/{job.id}"
    assert f'hx-get="{panel_url}" hx-trigger="every 1s"' in page
    assert f'href="/programs/{team.program.id}/reports?job={job.id}">Refresh' in page
    partial = browser.get(panel_url, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and partial.text.lstrip().startswith("<section")
    without_js = browser.get(panel_url)
    assert without_js.status_code == 303 and without_js.headers["location"].endswith(f"?job={job.id}")
    jobs.run_report_job(app.state.engine, app.state.catalog, job.id)
    done = browser.get(panel_url, headers={"HX-Request": "true"}).text
    assert "Download PDF" in done and "hx-trigger" not in done
    # The list below the panel is sent along (out of band), with the new report in it.
    assert '<div id="report-list" hx-swap-oob="true">' in done and "GTR-" in done.split('id="report-list"')[1]


def test_a_failed_job_says_why_and_offers_to_try_again(app: FastAPI, session: Session, team: Team) -> None:
    actor, program = session.get(User, team.people["champion"].id), session.get(Program, team.program.id)
    assert actor is not None and program is not None
    job = jobs.enqueue_report_job(session, actor, program, ReportKind.EXECUTIVE, "Board")
    team.clients["administrator"].delete(
        f"/api/institutions/{team.institution.id}/members/{actor.id}/roles/champion")
    jobs.run_report_job(app.state.engine, app.state.catalog, job.id)
    browser, csrf = _browser(app, "administrator@riverside.example")
    page = browser.get(f"/programs/{team.program.id}/reports", params={"job": str(job.id)}).text
    assert "The executive summary could not be generated." in page
    assert f"{actor.full_name} is no longer a champion or administrator of this institution" in page
    retry = page.split('id="report-job-')[1].split("</section>")[0]
    assert 'name="kind" value="executive"' in retry and ">Try again</button>" in retry
    again = browser.post(f"/programs/{team.program.id}/reports",
                         data={"kind": "executive", "prepared_for": "Board", "csrf_token": csrf})
    assert "generated." in browser.get(again.headers["location"]).text


def test_another_programs_job_is_not_found_on_this_page(app: FastAPI, team: Team, session: Session) -> None:
    actor, program = session.get(User, team.people["champion"].id), session.get(Program, team.program.id)
    assert actor is not None and program is not None
    job = jobs.enqueue_report_job(session, actor, program, ReportKind.EXECUTIVE, "Board")
    other = make_program(session, app.state.catalog, team.institution)
    browser, _ = _browser(app, "viewer@riverside.example")
    assert browser.get(f"/programs/{other.id}/report-jobs/{job.id}").status_code == 404
