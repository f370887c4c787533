"""Browser: the planning form's payment arrangements and shared resources at 1366 and 390 px (axe-core clean, no
horizontal scroll); the access model is filled in and saved the way a finance lead would."""

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.planning import service
from tests.conftest import Team
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import login, screenshot


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_finance_lead_enters_the_access_model_and_instalments(
    app: FastAPI, team: Team, session: Session, live_server: str, page: Page, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "finance_lead@riverside.example")
    page.goto(f"{live_server}/programs/{team.program.id}/planning/new/reimbursement")
    page.get_by_label("Number of instalments").fill("4")
    page.get_by_label("Months between instalments").fill("3")
    page.get_by_label("Products it covers").fill("hemgenix")
    page.get_by_label("Medicaid share of these patients (%)").fill("75")
    screenshot(page, f"planning-arrangements-{width}")
    assert_accessible(page, f"the planning form at {width} px")
    assert_fits(page, "the planning form")
    page.get_by_label("Name", exact=True).fill(f"Access model {width}")
    page.get_by_role("button", name="Save scenario", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Access model {width}")
    [scenario] = service.list_scenarios(session, team.program.id)
    assert scenario.inputs["access_model"]["medicaid_share"] == 0.75
    assert scenario.inputs["instalments"] == {"instalments": 4, "months_between": 3}


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_capacity_form_shows_shared_resources(team: Team, live_server: str, page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "followup_coordinator@riverside.example")
    page.goto(f"{live_server}/programs/{team.program.id}/planning/new/capacity")
    expect(page.get_by_label("Apheresis collections per year")).to_be_visible()
    expect(page.get_by_label("Transplant-unit bed-days per patient")).to_be_visible()
    screenshot(page, f"planning-capacity-resources-{width}")
    assert_accessible(page, f"the planning form at {width} px")
    assert_fits(page, "the planning form")
