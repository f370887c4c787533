"""A champion adds the hospital's own step in the browser; it shows as local on the program page, its lead signs it
off, and the form passes axe and fits a phone."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from tests.factories import make_institution, make_program, make_user
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import PASSWORD, login, screenshot


@pytest.mark.browser
def test_a_champion_adds_a_local_item_that_its_lead_signs_off(
    app: FastAPI, session: Session, live_server: str, page: Page, browser: Browser, tmp_path: Path
) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("champion",), full_name="Maya Okafor", email="champion@riverside.example",
              password=PASSWORD)
    make_user(session, institution, roles=("finance_lead",), full_name="Ravi Menon", email="finance@riverside.example",
              password=PASSWORD)
    program = make_program(session, app.state.catalog, institution)

    login(page, live_server, "champion@riverside.example")
    page.goto(f"{live_server}/programs/{program.id}")
    page.get_by_role("link", name="Add a local item").click()
    assert_accessible(page, "the local item page")
    page.get_by_label("Area").select_option("payer")
    page.get_by_label("Title").fill("Payer single-case agreement signed")
    page.get_by_label("What done means").fill("The signed agreement is on file with its rate.")
    page.get_by_label("Why it matters").fill("Without it the payer pays nothing for the dose.")
    page.get_by_label("Sources").fill("Riverside managed-care policy MC-14")
    page.get_by_label("Signed off by").select_option("finance_lead")
    page.get_by_label("Criticality", exact=True).select_option("blocker")
    page.get_by_label("Depends on").fill("PAY-999")
    page.get_by_role("button", name="Add the local item").click()
    expect(page.locator("#depends_on-error")).to_have_text("unknown item 'PAY-999': not a current item of this program")
    expect(page.get_by_label("Title")).to_have_value("Payer single-case agreement signed")
    assert_accessible(page, "the local item page")
    screenshot(page, "local-item-form-error-1366")
    page.get_by_label("Depends on").fill("")  # PAY-001 would have to be signed first (the sign-off rules hold)
    page.get_by_role("checkbox", name="contract").check()
    page.get_by_role("button", name="Add the local item").click()
    expect(page.get_by_role("status")).to_have_text("Local item added.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("LOC-001 Payer single-case agreement signed")
    expect(page.locator(".badge.local")).to_have_text("Local item")

    page.goto(f"{live_server}/programs/{program.id}")
    row = page.locator("#item-LOC-001")
    expect(row).to_contain_text("Local")
    expect(row.locator("td[data-label=Area]")).to_have_text("Payer reimbursement risk")
    row.get_by_label("Status").select_option("done")
    row.get_by_role("button", name="Save LOC-001").click()
    expect(page.locator("#item-LOC-001")).to_contain_text("Done, awaiting sign-off")
    screenshot(page, "local-item-program-1366")

    page.context.clear_cookies()
    login(page, live_server, "finance@riverside.example")
    page.goto(f"{live_server}/programs/{program.id}/items/LOC-001")
    # Sign off waits, saying why, until the contract is attached.
    expect(page.locator("#sign-reasons")).to_contain_text("Attach the contract first")
    expect(page.get_by_role("button", name="Sign off LOC-001")).to_be_disabled()
    agreement = tmp_path / "single-case-agreement.pdf"
    agreement.write_bytes(b"%PDF-1.4\nSingle-case agreement\n%%EOF\n")
    page.get_by_label("File", exact=True).set_input_files(str(agreement))
    page.get_by_label("Kind").select_option("contract")
    page.get_by_role("button", name="Upload evidence").click()
    expect(page.get_by_role("status")).to_have_text("Evidence uploaded.")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign off LOC-001").click()
    expect(page.get_by_role("status")).to_contain_text("Signed off.")
    expect(page.get_by_role("region", name="Sign-off history")).to_contain_text("Ravi Menon (Finance lead)")

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    small = phone.new_page()
    small.set_default_timeout(10_000)
    login(small, live_server, "champion@riverside.example")
    small.goto(f"{live_server}/programs/{program.id}/local-items/LOC-001/edit")
    expect(small.get_by_role("heading", level=1)).to_contain_text("Edit local item LOC-001")
    assert_fits(small, "the edit form")
    screenshot(small, "local-item-edit-390")
    small.goto(f"{live_server}/programs/{program.id}/local-items/new")
    assert_fits(small, "the add form")
    screenshot(small, "local-item-new-390")
    phone.close()
