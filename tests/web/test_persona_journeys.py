"""The three personas end to end in a real browser, at a laptop's width and a phone's (issue 17).

The champion opens a program, narrows the table as she types, bulk-assigns three items while someone else changes
one of them (that row comes back as a conflict) and watches the gate panel change in place after an inline edit.
The pharmacy lead sees no form on a policy item, is told why Sign off waits on his own item, attaches the evidence
and signs. The administrator generates the report in the background, downloads it and drops the PDF on the verify
page. Every page they stop at fits the screen and axe-core finds nothing on it.
"""

import base64
import io
import re
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlmodel import Session

from app.programs.schemas import ItemUpdate
from app.programs.service import read_item, update_item
from tests.factories import make_institution, make_user
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import PASSWORD, login, screenshot

pytestmark = pytest.mark.browser
WIDTHS = (1366, 390)
DROP = """([name, encoded]) => {
  const bytes = Uint8Array.from(atob(encoded), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "application/pdf"}));
  return transfer;
}"""


def team_without_program(session: Session) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    for role, email, name in (("champion", "champion@riverside.example", "Maya Okafor"),
                              ("pharmacy_lead", "pharmacy@riverside.example", "Sam Lindqvist"),
                              ("administrator", "admin@riverside.example", "Taylor Brooks")):
        make_user(session, institution, roles=(role,), email=email, full_name=name, password=PASSWORD)


def new_page(browser: Browser, width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 844 if width < 600 else 900},
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def looked_at(page: Page, name: str, width: int) -> None:
    """The page fits the screen, axe-core finds nothing on it, and a screenshot is kept to be looked at."""
    assert_fits(page, name)
    assert_accessible(page, name)
    screenshot(page, f"journey-{name}-{width}")


def champion_journey(page: Page, session: Session, live_server: str, width: int) -> uuid.UUID:
    login(page, live_server, "champion@riverside.example")
    page.get_by_role("link", name="Open a new program").click()
    page.get_by_label("Program title").fill("Hemophilia B gene therapy at Riverside")
    page.get_by_label("Hemgenix").check()
    page.get_by_role("button", name="Open program").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hemophilia B gene therapy at Riverside")
    program_id = uuid.UUID(page.url.split("/programs/")[1].split("?")[0].split("#")[0].split("/")[0])
    page.evaluate("window.__stayed = true")  # gone if the page navigates
    looked_at(page, "champion-program", width)

    # Search as she types: only the pharmacy items stay; emptied, the box brings all five back.
    search = page.get_by_label("Search key or title")
    search.press_sequentially("pharm", delay=30)
    expect(page.locator("#item-count")).to_have_text("2 items match.")
    assert page.locator("#item-rows tr").evaluate_all("rows => rows.map(r => r.id)") == ["item-PHARM-001",
                                                                                         "item-PHARM-002"]
    search.fill("")
    search.dispatch_event("input")
    expect(page.locator("#item-count")).to_have_text("5 items match.")

    # Bulk: owner and due date for three pharmacy items, one of them changed by someone else meanwhile.
    keys = ("PHARM-002", "PAY-001", "PAY-002")
    for key in keys:
        page.get_by_label(f"Tick {key}").check()
    page.get_by_label("Set owner").select_option(label="Sam Lindqvist")
    page.get_by_label("Set due date").fill("2030-03-01")
    update_item(session, program_id, "PAY-002", ItemUpdate(notes="Changed by the policy lead meanwhile."), 1)
    page.get_by_role("button", name="Apply to ticked items").click()
    expect(page.locator("#bulk-outcome")).to_contain_text("2 done, 1 changed by someone else")
    expect(page.locator("#bulk-PAY-002")).to_contain_text("Conflict")
    expect(page.locator("#item-PHARM-002")).to_contain_text("Sam Lindqvist")
    assert read_item(session, program_id, "PAY-002").owner_name is None
    looked_at(page, "champion-bulk", width)

    # An inline status change: the gate panel changes in place, without a reload.
    gate = page.get_by_label("First-patient gate")
    before = gate.inner_text()
    row = page.locator("#item-PHARM-001")
    row.get_by_label("Status of PHARM-001").select_option("done")
    row.get_by_role("button", name="Save PHARM-001").click()
    expect(row).to_contain_text("Saved.")
    expect(gate).not_to_have_text(before)
    assert page.evaluate("window.__stayed === true")
    assert read_item(session, program_id, "PHARM-001").status == "done"
    page.context.close()
    return program_id


def pharmacy_lead_journey(page: Page, live_server: str, program_id: uuid.UUID, width: int, tmp_path: Path) -> None:
    login(page, live_server, "pharmacy@riverside.example")
    # A policy item: read only, and he is told who signs it.
    page.goto(f"{live_server}/programs/{program_id}/items/POL-001")
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(page.get_by_role("button", name="Upload evidence")).to_have_count(0)
    expect(page.locator("#sign-reasons")).to_contain_text("Only the policy lead can sign this")
    expect(page.get_by_role("button", name="Sign off POL-001")).to_be_disabled()
    looked_at(page, "pharmacy-policy-item", width)

    # His own item, from his queue: Sign off waits for the evidence, then he signs.
    page.get_by_role("link", name="My sign-off queue").click()
    page.get_by_role("link", name=re.compile(r"^PHARM-001 ")).click()
    expect(page.locator("#sign-reasons")).to_contain_text("Attach the")
    expect(page.get_by_role("button", name="Sign off PHARM-001")).to_be_disabled()
    evidence = tmp_path / f"freezer-pq-{width}.pdf"
    evidence.write_bytes(b"%PDF-1.4\nFreezer PQ\n%%EOF\n")
    page.get_by_label("File", exact=True).set_input_files(str(evidence))
    page.get_by_role("button", name="Upload evidence").click()
    expect(page.locator("#sign-off-blocked")).to_have_count(0)
    page.get_by_label("Statement (optional)").fill("Freezer qualified and alarmed.")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign off PHARM-001").click()
    expect(page.get_by_role("status")).to_contain_text("Signed off.")
    looked_at(page, "pharmacy-signed", width)
    page.context.close()


def administrator_journey(page: Page, live_server: str, program_id: uuid.UUID, width: int) -> None:
    login(page, live_server, "admin@riverside.example")
    page.goto(f"{live_server}/programs/{program_id}")
    page.get_by_role("link", name="Readiness reports").click()
    page.get_by_role("button", name="Generate report").click()
    panel = page.get_by_role("status", name="Report in progress")  # the page is back at once
    expect(panel.locator("progress")).to_be_visible()
    expect(panel).to_contain_text("generated.", timeout=90_000)
    number = panel.inner_text().split("Report ")[1].split(" generated.")[0]
    looked_at(page, "admin-report-done", width)
    with page.expect_download() as download:
        panel.get_by_role("link", name="Download PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert number in text and "Sam Lindqvist" in text
    assert "Freezer qualified and alarmed." in text

    page.goto(f"{live_server}/verify")
    transfer = page.evaluate_handle(DROP, [f"{number}.pdf", base64.b64encode(pdf).decode()])
    with page.expect_navigation():
        page.dispatch_event("[data-drop-zone]", "drop", {"dataTransfer": transfer})
    expect(page.locator(".flash.ok")).to_contain_text(f"{number} is genuine.")
    looked_at(page, "admin-verified", width)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_champion_pharmacy_lead_and_administrator_journeys(
    app: FastAPI, session: Session, live_server: str, browser: Browser, tmp_path: Path, width: int
) -> None:
    team_without_program(session)
    program_id = champion_journey(new_page(browser, width), session, live_server, width)
    pharmacy_lead_journey(new_page(browser, width), live_server, program_id, width, tmp_path)
    administrator_journey(new_page(browser, width), live_server, program_id, width)
