"""Readiness reports: exact numbers, stored snapshots, verification, no leaks, exports."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.programs.service import get_program
from app.reports import service as report_service
from app.reports.gather import data_hash, gather
from app.reports.models import Report
from app.reports.render import TemplateAssetFetcher, render_pdf
from app.reports.schemas import ReportKind
from tests.conftest import Team
from tests.db_harness import count_queries
from tests.signoffs.test_signoff_rules import attach, mark_done, sign

INJECTION = '<img src="file:///etc/passwd"><img src="http://example.com/x.png">'


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def generate(team: Team, kind: str = "full", client: str = "administrator") -> dict[str, object]:
    response = team.clients[client].post(team.url("/reports"), json={"kind": kind, "prepared_for": "P&T committee"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def download(team: Team, number: object, client: str = "viewer") -> bytes:
    response = team.clients[client].get(f"/api/reports/{number}/pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    return response.content


def test_full_report_states_the_numbers_names_and_statuses(team: Team) -> None:
    past = (date.today() - timedelta(days=5)).isoformat()
    team.clients["champion"].patch(team.url("/items/POL-002"), json={"due_date": past, "version": 1})
    version = mark_done(team, "PAY-001")
    sign(team.clients["finance_lead"], team, "PAY-001", version)
    meta = generate(team)
    text = pdf_text(download(team, meta["number"]))
    flat = " ".join(text.split())
    assert "Riverside University Hospital" in flat and "Gene therapy program" in flat
    assert f"Report {meta['number']}" in flat and str(meta["data_sha256"]) in flat.replace(" ", "")
    assert re.search(r"Page 1 of \d+", flat) and f"of {meta['pages']}" in flat
    # PAY-001 (weight 4) signed of 13: 31%; payer area 4 of 4: 100%; the gate is closed by two blockers
    assert "31%" in flat and "Payer reimbursement risk 100% ready" in flat
    assert "First-patient gate: CLOSED" in flat and "PHARM-001" in flat and "POL-001" in flat
    assert "Finance lead, Finance lead" in flat  # signer (named after the role in the fixture), role
    assert "Signed off" in flat and "approved" in flat and "OVERDUE" in flat.upper()
    assert 3 <= int(str(meta["pages"])) <= 12
    for placeholder in ("TBD", "lorem", "placeholder", "TODO"):
        assert placeholder.lower() not in flat.lower()


def test_executive_summary_is_one_page(team: Team) -> None:
    meta = generate(team, "executive")
    assert meta["pages"] == 1
    assert "EXECUTIVE SUMMARY" in pdf_text(download(team, meta["number"]))


def test_user_text_is_escaped_and_fetches_nothing(app: FastAPI, session: Session, team: Team) -> None:
    team.clients["champion"].patch(team.url("/items/PAY-001"), json={"notes": INJECTION, "version": 1})
    version = mark_done(team, "POL-002")
    sign(team.clients["policy_lead"], team, "POL-002", version, statement=INJECTION)
    attach(team, "PHARM-001", "equipment_qualification", name=INJECTION + ".pdf")
    program = get_program(session, team.program.id)
    data = gather(session, app.state.catalog, program, number="GTR-2026-000999", kind=ReportKind.FULL,
                  prepared_for=INJECTION, prepared_by="tests", now=program.created_at)
    fetcher = TemplateAssetFetcher()
    text = pdf_text(render_pdf(data, data_hash(data), fetcher))
    assert "root:x:0:0" not in text
    assert "<img" in text  # shown as the text it is
    assert fetcher.refused == []  # nothing in user text even reached the fetcher
    assert fetcher.served and all("/report_templates/" in path for path in fetcher.served)


def test_fetcher_refuses_other_files_and_hosts() -> None:
    fetcher = TemplateAssetFetcher()
    for url in ("file:///etc/passwd", "http://example.com/x.png", "data:text/plain,hello"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch(TemplateAssetFetcher().root.as_uri() + "/report.css").read().startswith(b"/*")


def test_stored_report_is_served_unchanged_and_earlier_ones_stay(session: Session, team: Team) -> None:
    first = generate(team)
    mark_done(team, "PAY-001")
    second = generate(team)
    assert download(team, first["number"]) == download(team, first["number"])
    numbers = [r["number"] for r in team.clients["viewer"].get(team.url("/reports")).json()]
    assert numbers == [second["number"], first["number"]]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "report")).all()
    assert actions.count("report.generated") == 2 and actions.count("report.downloaded") == 2


def test_changes_since_the_previous_report(team: Team) -> None:
    generate(team)
    version = mark_done(team, "PAY-001")
    sign(team.clients["finance_lead"], team, "PAY-001", version)
    flat = " ".join(pdf_text(download(team, generate(team, "executive")["number"])).split())
    assert "Newly signed off (1)" in flat and "PAY-001 Prior authorisation workflow" in flat
    assert "Overall readiness: +31 points" in flat


def test_verification_attests_real_reports_and_rejects_fakes(app: FastAPI, team: Team) -> None:
    meta = generate(team)
    viewer = team.clients["viewer"]
    real = viewer.get("/api/reports/verify", params={"number": meta["number"]}).json()
    assert real["matches"] is True and real["program"].startswith("Gene therapy program")
    assert real["institution"] == "Riverside University Hospital" and real["gate_open"] is False
    by_hash = viewer.get("/api/reports/verify", params={"data_sha256": meta["data_sha256"]}).json()
    assert by_hash["number"] == meta["number"]
    assert viewer.get("/api/reports/verify", params={"number": "GTR-2026-999999"}).json() == {
        "matches": False, "number": None, "program": None, "institution": None, "generated_at": None,
        "generated_by": None, "overall_ratio": None, "gate_open": None, "data_sha256": None}
    with app.state.engine.begin() as connection:  # someone edits the stored snapshot behind our back
        connection.execute(text("UPDATE reports SET data_sha256 = :h"), {"h": "0" * 64})
    assert viewer.get("/api/reports/verify", params={"number": meta["number"]}).json()["matches"] is False


def test_who_may_generate_and_download(team: Team, outsider: TestClient) -> None:
    assert team.clients["viewer"].post(team.url("/reports"), json={}).status_code == 403
    meta = generate(team, client="champion")
    assert outsider.get(f"/api/reports/{meta['number']}/pdf").status_code == 404


def test_failed_rendering_stores_nothing(app: FastAPI, session: Session, team: Team,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> bytes:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(report_service, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        report_service.generate_report(session, app.state.catalog, None, get_program(session, team.program.id),
                                       ReportKind.FULL, "x")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Report)) == 0
    assert session.scalar(select(func.count()).where(AuditEvent.entity == "report")) == 0


def test_gathering_takes_the_same_queries_for_5_or_300_items(app: FastAPI, session: Session, team: Team) -> None:
    from tests.programs.test_query_counts import program_with

    counts = []
    for extra in (0, 295):
        program = get_program(session, program_with(app, session, extra))
        with count_queries(app.state.engine) as statements:
            gather(session, app.state.catalog, program, number="GTR-2026-000001", kind=ReportKind.FULL,
                   prepared_for="x", prepared_by="y", now=program.created_at)
        counts.append(len(statements))
    # the ninth: the audit trail's head, which the snapshot records; four more: the institution's programs side by
    # side (the programs, their readiness in two, the shared-capacity scenarios)
    assert counts[0] == counts[1] <= 13


def test_registers_export_as_csv_and_xlsx_with_filters(team: Team) -> None:
    version = mark_done(team, "PAY-001")
    sign(team.clients["finance_lead"], team, "PAY-001", version, statement="=HYPERLINK(\"x\")")
    viewer = team.clients["viewer"]
    rows = list(csv.reader(io.StringIO(viewer.get(team.url("/exports/items.csv"),
                                                  params={"area": "payer"}).content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["key", "area", "title", "criticality", "status"] and [r[0] for r in rows[1:]] == ["PAY-001"]
    signoffs = list(csv.reader(io.StringIO(viewer.get(team.url("/exports/signoffs.csv")).content.decode("utf-8-sig"))))
    assert signoffs[1][0] == "PAY-001" and signoffs[1][4] == "'=HYPERLINK(\"x\")"  # formula neutralised
    workbook = load_workbook(io.BytesIO(viewer.get(team.url("/exports/items.xlsx")).content))
    sheet = workbook.active
    assert sheet is not None and sheet.max_row == 6 and sheet["A1"].value == "key"
    assert viewer.get(team.url("/exports/items.pdf")).status_code == 422


def test_model_sections_appear_with_their_figures_once_scenarios_exist(team: Team) -> None:
    without = " ".join(pdf_text(download(team, generate(team)["number"])).split())
    assert "Reimbursement exposure model" not in without and "Follow-up capacity model" not in without
    defaults = team.clients["viewer"].get(team.url("/scenarios/defaults")).json()
    team.clients["champion"].post(team.url("/scenarios/reimbursement"), json={"name": "Base case",
                                                                              "inputs": defaults["reimbursement"]})
    capacity = defaults["capacity"] | {"visit_slots_per_year": 20}
    team.clients["champion"].post(team.url("/scenarios/capacity"), json={"name": "Current clinic", "inputs": capacity})
    run = team.clients["viewer"].get(team.url("/scenarios")).json()
    result = team.clients["viewer"].post(f"/api/scenarios/{run[-1]['id']}/run").json()["reimbursement"]
    flat = " ".join(pdf_text(download(team, generate(team)["number"])).split())
    assert "Reimbursement exposure model — scenario “Base case”" in flat
    assert f"${result['expected_loss_per_patient']:,.0f}" in flat and f"${result['peak_cash_outstanding']:,.0f}" in flat
    assert "Follow-up capacity model — scenario “Current clinic”" in flat
    assert "capacity runs short in year 1" in flat.lower()
    assert "Assumptions" in flat and "E[L] = w·C" in flat


def test_numbers_continue_after_the_highest_even_with_gaps(session: Session, team: Team) -> None:
    first = str(generate(team)["number"])
    # A program imported from another server brings its own, higher number.
    session.execute(text("UPDATE reports SET number = :n WHERE number = :old"),
                    {"n": first[:-6] + "000007", "old": first})
    session.commit()
    assert generate(team)["number"] == first[:-6] + "000008"
