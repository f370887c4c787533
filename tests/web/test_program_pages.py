"""A champion tracks a program in the browser: inline status changes, conflicts shown in place, no-JS fallback.
The compact table's search, chips, bulk edits and phone layout: test_program_table.py."""

import uuid

from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from app.programs.service import read_item
from tests.factories import make_institution, make_program, make_user
from tests.web.conftest import PASSWORD, login, screenshot

CHAMPION = "champion@riverside.example"


def program_with_people(app: FastAPI, session: Session) -> uuid.UUID:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("pharmacy_lead",), full_name="Sam Lindqvist", password=PASSWORD)
    make_user(session, institution, roles=("champion",), full_name="Maya Okafor", email=CHAMPION, password=PASSWORD)
    return make_program(session, app.state.catalog, institution).id


def test_inline_change_saves_the_row_and_updates_readiness(
    app: FastAPI, session: Session, live_server: str, page: Page
) -> None:
    program_id = program_with_people(app, session)
    login(page, live_server, CHAMPION)
    page.goto(f"{live_server}/programs/{program_id}")
    expect(page.get_by_role("heading", name="Not ready to dose the first patient")).to_be_visible()
    row = page.locator("#item-PAY-001")
    row.get_by_label("Status").select_option("done")
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#item-PAY-001")).to_contain_text("Saved.")
    expect(page.locator(".big-number")).to_have_text("31%")  # PAY-001 weighs 4 of 13; no reload needed
    item = read_item(session, program_id, "PAY-001")
    assert (item.status, item.version) == ("done", 2)
    page.reload()
    expect(page.locator(".big-number")).to_have_text("31%")
    expect(page.get_by_label("Status of PAY-001")).to_have_value("done")
    expect(page.locator("#item-PAY-001")).to_contain_text("Awaits Finance lead")
    screenshot(page, "program-page")


def test_a_stale_row_says_someone_else_changed_it_and_shows_theirs(
    app: FastAPI, session: Session, live_server: str, browser: Browser
) -> None:
    program_id = program_with_people(app, session)
    mine, theirs = browser.new_context().new_page(), browser.new_context().new_page()
    for page in (mine, theirs):
        login(page, live_server, CHAMPION)
        page.goto(f"{live_server}/programs/{program_id}")
    theirs.locator("#item-POL-001").get_by_label("Status").select_option("in_progress")
    theirs.locator("#item-POL-001").get_by_role("button", name="Save").click()
    expect(theirs.locator("#item-POL-001")).to_contain_text("Saved.")

    mine.locator("#item-POL-001").get_by_label("Status").select_option("done")
    mine.locator("#item-POL-001").get_by_role("button", name="Save").click()
    row = mine.locator("#item-POL-001")
    expect(row).to_contain_text("changed by someone else")
    expect(row.get_by_label("Status")).to_have_value("in_progress")
    assert read_item(session, program_id, "POL-001").status == "in_progress"
    mine.close()
    theirs.close()


def test_without_javascript_the_form_posts_and_the_page_reloads(
    app: FastAPI, session: Session, live_server: str, browser: Browser
) -> None:
    program_id = program_with_people(app, session)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, live_server, CHAMPION)
    page.goto(f"{live_server}/programs/{program_id}/items/PAY-001")
    page.get_by_label("Status").select_option("not_applicable")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".field-error")).to_contain_text("justification is required")
    expect(page.get_by_label("Status")).to_have_value("not_applicable")  # what the user typed is kept
    page.get_by_label("Why it does not apply").fill("All our patients are covered by one state program.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.locator(".badge.not_applicable")).to_be_visible()
    screenshot(page, "item-page")
    context.close()


def test_dashboard_shows_each_program_with_its_gate(
    app: FastAPI, session: Session, live_server: str, page: Page
) -> None:
    program_id = program_with_people(app, session)
    login(page, live_server, CHAMPION)
    page.goto(f"{live_server}/")
    card = page.get_by_role("article")
    expect(card).to_contain_text("Gate closed: 2 blockers")
    expect(card.locator(".big-number")).to_have_text("0%")
    card.get_by_role("heading", level=3).get_by_role("link").click()  # the title (the chart slot is a link too)
    expect(page).to_have_url(f"{live_server}/programs/{program_id}")
    screenshot(page, "dashboard-to-program")
