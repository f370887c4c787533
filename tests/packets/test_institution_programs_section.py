"""Packets whose definition lists the `institution_programs` section (finance and the medical executive committee
by default) show every program of the institution side by side with the shared resources; the others do not."""

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.capacity.service import institution_capacity
from app.demo import SECOND_LIBRARY
from app.followup.schemas import ResourceKind
from app.packets.schema import SectionKind
from app.packets.service import PACKAGED_DIR, parse_definition
from app.programs.models import Program
from app.reports.schemas import ReportData, ReportKind
from app.reports.service import generate_report
from tests.conftest import REAL_CHECKLISTS, Team
from tests.packets.test_definitions import problems, url
from tests.reports.test_institution_programs import RIVAL, pdf_text, seed_two_institutions

pytestmark = pytest.mark.skipif(not (REAL_CHECKLISTS / SECOND_LIBRARY).is_dir(), reason="ex-vivo-hsc not shipped")


@pytest.fixture
def demo(app: FastAPI, session: Session) -> list[Program]:
    return seed_two_institutions(app, session)


def test_finance_and_leadership_packets_ask_for_it_by_default(app: FastAPI) -> None:
    sections = {kind: parse_definition((PACKAGED_DIR / f"{kind}.yaml").read_text(encoding="utf-8"),
                                       app.state.catalog, kind=kind).sections
                for kind in ("finance", "mec", "pt-committee", "ibc")}
    assert sections == {"finance": [SectionKind.INSTITUTION_PROGRAMS], "mec": [SectionKind.INSTITUTION_PROGRAMS],
                        "pt-committee": [], "ibc": []}


@pytest.mark.parametrize("kind", [ReportKind.FINANCE, ReportKind.MEC])
def test_the_packet_lists_both_programs_and_the_clinic_over_capacity(
    app: FastAPI, session: Session, demo: list[Program], kind: ReportKind
) -> None:
    hemophilia, sickle = demo
    report = generate_report(session, app.state.catalog, None, sickle, kind, "Committee")
    data = ReportData.model_validate(report.data)
    assert data.packet is not None and data.packet.sections == ["institution_programs"]
    section = data.institution_programs
    assert section is not None
    assert [(row.title, row.planned_patients) for row in section.programs] == [(hemophilia.title, 30),
                                                                                (sickle.title, 10)]
    clinic = next(row for row in section.resources if row.resource == "clinic visits")
    load = next(load for load in institution_capacity(session, sickle.institution_id).resources
                if load.resource == ResourceKind.CLINIC_VISITS)
    assert clinic.over and clinic.total == load.periods[load.first_over_period - 1].demand  # type: ignore[operator]
    assert clinic.total == pytest.approx(sum(value for _, value in clinic.by_program))
    text = pdf_text(report.pdf)
    assert "Programs at Riverside University Hospital" in text and hemophilia.title in text
    assert "OVER CAPACITY" in text.upper() and f"{clinic.total:,.1f}" in text
    assert RIVAL not in text and RIVAL not in str(report.data)


@pytest.mark.parametrize("kind", [ReportKind.PT_COMMITTEE, ReportKind.IBC])
def test_packets_that_do_not_ask_leave_it_out(
    app: FastAPI, session: Session, demo: list[Program], kind: ReportKind
) -> None:
    report = generate_report(session, app.state.catalog, None, demo[0], kind, "Committee")
    assert "institution_programs" not in report.data and "sections" not in report.data["packet"]
    assert "Programs at" not in pdf_text(report.pdf) and demo[1].title not in pdf_text(report.pdf)


def test_an_adapted_definition_may_add_the_section_and_an_unknown_one_is_refused(real_team: Team) -> None:
    packaged = (PACKAGED_DIR / "ibc.yaml").read_text(encoding="utf-8")
    refused = real_team.clients["champion"].put(url(real_team), json={"yaml": packaged + "sections: [programs]\n"})
    assert "sections.0" in problems(refused) and "institution_programs" in problems(refused)
    saved = real_team.clients["champion"].put(url(real_team),
                                              json={"yaml": packaged + "sections: [institution_programs]\n"})
    assert saved.status_code == 200, saved.text
    made = real_team.clients["champion"].post(real_team.url("/reports"), json={"kind": "ibc", "prepared_for": "IBC"})
    assert made.status_code == 201, made.text
    pdf = real_team.clients["champion"].get(f"/api/reports/{made.json()['number']}/pdf")
    assert pdf.status_code == 200
    assert f"Programs at {real_team.institution.name}" in pdf_text(pdf.content)
    assert real_team.program.title in pdf_text(pdf.content)

