"""The "Programs at <institution>" section of full reports and finance/leadership packets: every program of the
report's institution side by side, with the shared resources counted once, as the dashboard counts them."""

import io
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from fastapi import FastAPI
from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session, col

from app.capacity.service import institution_capacity
from app.demo import SECOND_LIBRARY, seed_demo
from app.evidence.files import LocalStorage
from app.followup.schemas import ResourceKind
from app.planning.defaults import default_capacity_inputs
from app.planning.schemas import ScenarioKind
from app.planning.service import save_scenario
from app.programs.models import Program
from app.programs.readiness import readiness_of_programs
from app.programs.service import programs_of
from app.reports.docx import docx_for
from app.reports.gather import data_hash
from app.reports.models import Report
from app.reports.schemas import ReportData, ReportKind
from app.reports.service import generate_report, verify_report
from tests.conftest import REAL_CHECKLISTS
from tests.factories import make_institution, make_program, make_user
from tests.reports.test_docx import all_text

pytestmark = pytest.mark.skipif(not (REAL_CHECKLISTS / SECOND_LIBRARY).is_dir(), reason="ex-vivo-hsc not shipped")
RIVAL = "Rival hospital's gene therapy program"


@pytest.fixture
def checklists_dir() -> Path:
    return REAL_CHECKLISTS


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def seed_two_institutions(app: FastAPI, session: Session) -> list[Program]:
    """The demo's two programs, and another institution's program with a capacity scenario of its own."""
    seed_demo(session, app.state.catalog, LocalStorage(app.state.settings.evidence_dir))
    first = session.scalars(select(Program).order_by(col(Program.created_at))).first()
    assert first is not None
    rival = make_program(session, app.state.catalog, make_institution(session, "Rival hospital"),
                         library_id="hemophilia-gt", library_version=None)
    rival.title = RIVAL
    session.commit()
    save_scenario(session, make_user(session), rival, ScenarioKind.CAPACITY, "Rival clinic",
                  default_capacity_inputs(rival.products, patients_per_year=40))
    return [program for _, program in programs_of(session, [first.institution_id])]


@pytest.fixture
def demo(app: FastAPI, session: Session) -> list[Program]:
    return seed_two_institutions(app, session)


def section_of(report: Report) -> dict[str, Any]:
    data = ReportData.model_validate(report.data)
    assert data.institution_programs is not None
    return data.institution_programs.model_dump()


def test_full_report_shows_every_program_of_the_institution_with_the_services_numbers(
    app: FastAPI, session: Session, demo: list[Program]
) -> None:
    hemophilia, sickle = demo
    report = generate_report(session, app.state.catalog, None, hemophilia, ReportKind.FULL, "Steering committee")
    section = section_of(report)
    readiness = readiness_of_programs(session, demo)
    view = institution_capacity(session, hemophilia.institution_id)
    # both programs, oldest first, with the readiness service's figures and the scenarios' planned patients
    assert [row["title"] for row in section["programs"]] == [hemophilia.title, sickle.title]
    assert [row["overall_ratio"] for row in section["programs"]] == [readiness[p.id].overall_ratio for p in demo]
    assert [row["blockers"] for row in section["programs"]] == [len(readiness[p.id].gate.blocking) for p in demo]
    assert [row["gate_open"] for row in section["programs"]] == [False, False]
    assert [row["planned_patients"] for row in section["programs"]] == [30, 10]  # 6 and 2 a year for 5 years
    assert section["programs"][1]["library"].startswith(f"{SECOND_LIBRARY} ")
    # the clinic is shared: both programs' demand, their sum against the one capacity, over from year 2
    clinic = next(row for row in section["resources"] if row["resource"] == "clinic visits")
    load = next(load for load in view.resources if load.resource == ResourceKind.CLINIC_VISITS)
    assert clinic["over"] is True and clinic["period"] == load.first_over_period == 2
    assert [title for title, _ in clinic["by_program"]] == sorted([hemophilia.title, sickle.title])
    assert clinic["total"] == pytest.approx(sum(value for _, value in clinic["by_program"]))
    assert clinic["total"] == load.periods[1].demand and clinic["total"] > clinic["capacity"] == 120
    assert clinic["over_periods"] == [period.period for period in load.periods if period.over]
    beds = next(row for row in section["resources"] if row["resource"] == "transplant beds")
    assert beds["over"] is False and beds["capacity"] is None and [t for t, _ in beds["by_program"]] == [sickle.title]
    text = pdf_text(report.pdf)
    assert "Programs at Riverside University Hospital" in text
    assert hemophilia.title in text and sickle.title in text and "THIS REPORT" in text.upper()
    assert f"Over capacity by {clinic['total'] - 120:,.1f}" in text.replace("OVER CAPACITY", "Over capacity")
    assert f"{clinic['total']:,.1f}" in text
    assert verify_report(session, report.number, None).matches  # the section is part of the hashed snapshot
    word = all_text(Document(io.BytesIO(docx_for(report, "http://testserver"))))  # laid out from the snapshot too
    assert "Institution programs" in word and sickle.title in word and f"{clinic['total']:,.2f}" in word
    assert RIVAL not in word


def test_another_institutions_program_never_appears(app: FastAPI, session: Session, demo: list[Program]) -> None:
    hemophilia, sickle = demo
    ours = generate_report(session, app.state.catalog, None, sickle, ReportKind.FULL, "Steering committee")
    assert RIVAL not in pdf_text(ours.pdf) and RIVAL not in str(ours.data)
    assert "Rival clinic" not in str(ours.data)  # its capacity scenario counts for its own institution only
    rival = session.scalars(select(Program).where(col(Program.title) == RIVAL)).one()
    theirs = generate_report(session, app.state.catalog, None, rival, ReportKind.FULL, "Steering committee")
    section = section_of(theirs)
    assert [row["title"] for row in section["programs"]] == [RIVAL] and section["institution"] == "Rival hospital"
    text = pdf_text(theirs.pdf)
    assert hemophilia.title not in text and sickle.title not in text and "Riverside" not in text


def test_the_executive_summary_stays_one_program(app: FastAPI, session: Session, demo: list[Program]) -> None:
    report = generate_report(session, app.state.catalog, None, demo[0], ReportKind.EXECUTIVE, "Board")
    assert "institution_programs" not in report.data
    assert demo[1].title not in pdf_text(report.pdf)
    assert data_hash(ReportData.model_validate(report.data)) == report.data_sha256
