"""The compact program page in the browser: live gate after an inline change, search as you type, the blockers
link, bulk edit with a conflicting row, at laptop and phone widths, with axe-core finding nothing."""

import uuid

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from app.programs.local_items import create_local_items
from app.programs.readiness import readiness
from app.programs.schemas import ItemUpdate, LocalItemCreate
from app.programs.service import read_item, update_item
from tests.factories import make_institution, make_program, make_user
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import PASSWORD, login, screenshot

pytestmark = pytest.mark.browser
CHAMPION = "champion@riverside.example"
WIDTHS = (1366, 390)


def program_with_people(app: FastAPI, session: Session) -> uuid.UUID:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("pharmacy_lead",), full_name="Sam Lindqvist", password=PASSWORD)
    make_user(session, institution, roles=("champion",), full_name="Maya Okafor", email=CHAMPION, password=PASSWORD)
    return make_program(session, app.state.catalog, institution).id


def open_page(browser: Browser, width: int, live_server: str, path: str) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, CHAMPION)
    page.goto(live_server + path)
    page.evaluate("window.__stayed = true")  # gone if the page navigates
    return page


def stayed(page: Page) -> bool:
    return bool(page.evaluate("window.__stayed === true"))


@pytest.mark.parametrize("width", WIDTHS)
def test_an_inline_change_updates_readiness_and_the_gate_without_a_reload(
    app: FastAPI, session: Session, live_server: str, browser: Browser, width: int
) -> None:
    program_id = program_with_people(app, session)
    update_item(session, program_id, "POL-001",
                ItemUpdate.model_validate({"status": "not_applicable", "na_justification": "No policy here."}), 1)
    page = open_page(browser, width, live_server, f"/programs/{program_id}")
    gate = page.get_by_label("First-patient gate")
    expect(gate).to_contain_text("1 blocker keeps the gate closed")
    expect(gate).to_contain_text("blocker not signed off (not started)")
    assert_fits(page, "the program page")
    assert_accessible(page, f"the program page at {width} px")
    screenshot(page, f"program-table-{width}")

    row = page.locator("#item-PHARM-001")
    row.get_by_label("Status of PHARM-001").select_option("done")
    row.get_by_role("button", name="Save PHARM-001").click()
    expect(page.locator("#item-PHARM-001")).to_contain_text("Saved.")
    expect(gate).to_contain_text("done, awaiting sign-off")  # the gate panel changed in place
    assert stayed(page)
    assert read_item(session, program_id, "PHARM-001").status == "done"
    assert_fits(page, "the program page")
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_searching_as_you_type_narrows_the_rows(
    app: FastAPI, session: Session, live_server: str, browser: Browser, width: int
) -> None:
    program_id = program_with_people(app, session)
    page = open_page(browser, width, live_server, f"/programs/{program_id}")
    expect(page.locator("#item-rows tr")).to_have_count(5)
    page.get_by_label("Search key or title").press_sequentially("pol", delay=40)
    expect(page.locator("#item-rows tr")).to_have_count(2)
    expect(page.locator("#item-count")).to_have_text("2 items match.")
    assert [page.locator("#item-rows tr").nth(i).get_attribute("id") for i in range(2)] == ["item-POL-001",
                                                                                          "item-POL-002"]
    assert stayed(page)
    assert_fits(page, "the program page")
    screenshot(page, f"program-table-search-{width}")
    page.context.close()


def test_the_and_more_blockers_link_lists_exactly_the_blockers(
    app: FastAPI, session: Session, live_server: str, browser: Browser
) -> None:
    program_id = program_with_people(app, session)
    create_local_items(session, program_id, [
        LocalItemCreate(area="policy", title=f"Local blocker number {n}", done_when="Done.", why="Why.",
                        references=["Local policy"], signoff_role="policy_lead", criticality="blocker")
        for n in range(10)
    ])
    update_item(session, program_id, "LOC-003", ItemUpdate(status="done"), 1)  # type: ignore[arg-type]
    update_item(session, program_id, "PHARM-002", ItemUpdate(status="done"), 1)  # type: ignore[arg-type]
    blocking = [b.key for b in readiness(session, program_id).gate.blocking]
    assert len(blocking) == 12
    page = open_page(browser, 1366, live_server, f"/programs/{program_id}")
    page.get_by_role("link", name="and 4 more").click()
    expect(page.locator("#chip-blockers")).to_have_attribute("aria-current", "true")
    expect(page.locator("#item-count")).to_have_text("12 items match.")
    shown = page.locator("#item-rows tr").evaluate_all("rows => rows.map(r => r.id.slice(5))")
    assert sorted(shown) == sorted(blocking)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_bulk_edit_shows_each_row_done_or_in_conflict(
    app: FastAPI, session: Session, live_server: str, browser: Browser, width: int
) -> None:
    program_id = program_with_people(app, session)
    page = open_page(browser, width, live_server, f"/programs/{program_id}")
    for key in ("PHARM-002", "POL-002", "PAY-001"):
        page.get_by_label(f"Tick {key}").check()
    page.get_by_label("Set owner").select_option(label="Sam Lindqvist")
    page.get_by_label("Set due date").fill("2030-03-01")
    # Someone else changes POL-002 after this page was loaded.
    update_item(session, program_id, "POL-002", ItemUpdate(notes="Changed elsewhere."), 1)
    page.get_by_role("button", name="Apply to ticked items").click()
    outcome = page.locator("#bulk-outcome")
    expect(outcome).to_contain_text("2 done, 1 changed by someone else")
    expect(page.locator("#bulk-PHARM-002")).to_contain_text("Done")
    expect(page.locator("#bulk-PAY-001")).to_contain_text("Done")
    expect(page.locator("#bulk-POL-002")).to_contain_text("Conflict")
    expect(page.locator("#bulk-POL-002")).to_contain_text("changed by someone else since you loaded the page")
    expect(page.locator("#item-PAY-001")).to_contain_text("Sam Lindqvist")  # the table refreshed in place
    assert stayed(page)
    assert read_item(session, program_id, "PAY-001").owner_name == "Sam Lindqvist"
    assert read_item(session, program_id, "POL-002").owner_name is None
    assert_fits(page, "the program page")
    assert_accessible(page, f"the program page at {width} px")
    screenshot(page, f"program-table-bulk-{width}")
    page.context.close()


def test_without_javascript_a_bulk_edit_answers_a_page_of_outcomes(
    app: FastAPI, session: Session, live_server: str, browser: Browser
) -> None:
    program_id = program_with_people(app, session)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, live_server, CHAMPION)
    page.goto(f"{live_server}/programs/{program_id}?area=policy")
    page.get_by_label("All 2 matching this filter").check()
    page.get_by_label("Set status").select_option("in_progress")
    page.get_by_role("button", name="Apply to ticked items").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bulk change")
    expect(page.locator("#bulk-outcome")).to_contain_text("2 done")
    page.get_by_role("link", name="Back to the items").click()
    expect(page.locator("#item-rows tr")).to_have_count(2)
    expect(page.get_by_label("Status of POL-001")).to_have_value("in_progress")
    context.close()
