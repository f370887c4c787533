"""The three personas end to end in a real browser: champion, pharmacy lead, administrator."""

import io
import re
from pathlib import Path

from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlmodel import Session

from tests.factories import make_institution, make_user
from tests.web.conftest import PASSWORD, login, screenshot


def team_without_program(session: Session) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    for role, email, name in (("champion", "champion@riverside.example", "Maya Okafor"),
                              ("pharmacy_lead", "pharmacy@riverside.example", "Sam Lindqvist"),
                              ("administrator", "admin@riverside.example", "Taylor Brooks")):
        make_user(session, institution, roles=(role,), email=email, full_name=name, password=PASSWORD)


def new_page(browser: Browser) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    page.set_default_timeout(15_000)
    return page


def test_champion_pharmacy_lead_and_administrator_journeys(
    app: FastAPI, session: Session, live_server: str, browser: Browser, tmp_path: Path
) -> None:
    team_without_program(session)

    # The champion opens a program and assigns the storage item to the pharmacy lead.
    champion = new_page(browser)
    login(champion, live_server, "champion@riverside.example")
    champion.get_by_role("link", name="Open a new program").click()
    champion.get_by_label("Program title").fill("Hemophilia B gene therapy at Riverside")
    champion.get_by_label("Hemgenix").check()
    champion.get_by_role("button", name="Open program").click()
    expect(champion.get_by_role("heading", level=1)).to_have_text("Hemophilia B gene therapy at Riverside")
    champion.get_by_label("Search key or title").fill("PHARM-001")  # the table narrows as she types
    expect(champion.locator("#item-rows tr")).to_have_count(1)
    champion.get_by_label("Tick PHARM-001").check()
    champion.get_by_label("Set owner").select_option(label="Sam Lindqvist")
    champion.get_by_role("button", name="Apply to ticked items").click()
    expect(champion.locator("#bulk-PHARM-001")).to_contain_text("Done")
    row = champion.locator("#item-PHARM-001")
    expect(row).to_contain_text("Sam Lindqvist")
    row.get_by_label("Status").select_option("done")
    row.get_by_role("button", name="Save").click()
    expect(champion.locator("#item-PHARM-001")).to_contain_text("Saved.")
    program_url = champion.url.split("#")[0].split("?")[0]
    screenshot(champion, "journey-champion")

    # The pharmacy lead finds it in the queue, uploads the evidence and signs.
    pharmacy = new_page(browser)
    login(pharmacy, live_server, "pharmacy@riverside.example")
    pharmacy.get_by_role("link", name="My sign-off queue").click()
    pharmacy.get_by_role("link", name="PHARM-001 Storage qualified").click()
    evidence = tmp_path / "freezer-pq.pdf"
    evidence.write_bytes(b"%PDF-1.4\nFreezer PQ\n%%EOF\n")
    pharmacy.get_by_label("File").set_input_files(str(evidence))
    pharmacy.get_by_role("button", name="Upload evidence").click()
    pharmacy.get_by_label("Statement (optional)").fill("Freezer qualified and alarmed.")
    pharmacy.get_by_label("Your password").fill(PASSWORD)
    pharmacy.get_by_role("button", name="Sign off PHARM-001").click()
    expect(pharmacy.get_by_role("status")).to_have_text("Signed off.")

    # The administrator generates a report and downloads it; the PDF shows the new signature.
    admin = new_page(browser)
    login(admin, live_server, "admin@riverside.example")
    admin.goto(program_url)
    admin.get_by_role("link", name="Readiness reports").click()
    admin.get_by_role("button", name="Generate report").click()
    # It renders in the background: the page shows its progress, then the download (issue 17).
    expect(admin.get_by_role("status")).to_contain_text("generated", timeout=60_000)
    number = re.search(r"GTR-\d{4}-\d{6}", admin.get_by_role("status").inner_text())
    assert number is not None
    with admin.expect_download() as download_info:
        admin.get_by_role("link", name="PDF").first.click()
    pdf = Path(download_info.value.path()).read_bytes()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert number.group(0) in text and "Sam Lindqvist" in text and "Freezer qualified and alarmed." in text
    admin.get_by_label("Report number").fill(number.group(0))
    admin.get_by_role("button", name="Verify").click()
    expect(admin.locator(".flash.ok")).to_contain_text(f"{number.group(0)} is genuine")
    screenshot(admin, "journey-reports")
