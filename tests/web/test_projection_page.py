"""The program page answers "when can we dose the first patient?": date, slip past the target, and a timeline that
works without JavaScript, is described for screen readers and fits a 390 px phone."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect
from sqlalchemy import update
from sqlmodel import Session, col

from app.clock import frozen_at
from app.programs.models import Program, ProgramItem
from tests.factories import make_institution, make_program, make_user
from tests.web.conftest import PASSWORD, login, screenshot

CHAMPION = "champion@plan.example"
DUE = {"PHARM-001": date(2027, 3, 1), "PHARM-002": date(2027, 2, 1), "PHARM-003": date(2027, 1, 20),
       "POL-001": date(2027, 2, 15)}


@pytest.fixture
def checklists_dir() -> Path:
    return Path(__file__).parents[1] / "fixtures" / "projection"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with frozen_at(datetime(2027, 1, 4, 9, 30, tzinfo=UTC)):
        yield


def planned_program(app: FastAPI, session: Session, due: dict[str, date | None]) -> Program:
    institution = make_institution(session, "Plan General")
    make_user(session, institution, roles=("champion",), full_name="Maya Okafor", email=CHAMPION, password=PASSWORD)
    program = make_program(session, app.state.catalog, institution, library_id="plan", library_version="1.0.0")
    for key, day in due.items():
        session.execute(update(ProgramItem).where(col(ProgramItem.program_id) == program.id,
                                                  col(ProgramItem.key) == key).values(due_date=day))
    program.first_patient_target = date(2027, 2, 20)
    session.add(program)
    session.commit()
    return program


def test_the_program_page_projects_the_date_and_draws_the_critical_path_at_1366_and_390_px(
    app: FastAPI, session: Session, live_server: str, browser: Browser
) -> None:
    program = planned_program(app, session, DUE)
    for width, script in ((1366, True), (390, False)):
        context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=script)
        page = context.new_page()
        login(page, live_server, CHAMPION)
        page.goto(f"{live_server}/programs/{program.id}")
        expect(page.locator("#projected-date")).to_contain_text("Projected first-patient date: 1 Mar 2027")
        expect(page.locator("#projected-date")).to_contain_text("target 20 Feb 2027")
        expect(page.locator("#projection-warning")).to_contain_text(
            "9 days past the target 20 Feb 2027, because of PHARM-001 Storage qualified")
        chart = page.get_by_role("img", name="First-patient timeline")
        expect(chart).to_be_visible()
        assert chart.locator("title").text_content() == "First-patient timeline"
        expect(page.locator("#critical-path li")).to_have_text([
            "PHARM-001 Storage qualified: finishes 1 Mar 2027 (due 1 Mar 2027)",
            "PHARM-002 Preparation SOP written: finishes 1 Mar 2027 (due 1 Feb 2027), 28 days late because of what "
            "it depends on",
            "POL-001 P&T approval: finishes 1 Mar 2027 (due 15 Feb 2027), 14 days late because of what it depends on",
        ])
        box = chart.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        screenshot(page, f"program-projection-{width}")
        context.close()


def test_an_item_without_a_due_date_is_named_on_the_page(
    app: FastAPI, session: Session, live_server: str, browser: Browser
) -> None:
    program = planned_program(app, session, DUE | {"PHARM-001": None})
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    login(page, live_server, CHAMPION)
    page.goto(f"{live_server}/programs/{program.id}")
    expect(page.locator("#projected-date")).to_contain_text("The first-patient date cannot be projected yet.")
    expect(page.locator("#projection-reasons li")).to_have_text(["PHARM-001 Storage qualified"])
    expect(page.locator("#timeline")).to_have_count(0)
    context.close()
