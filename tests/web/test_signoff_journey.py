"""A pharmacy lead logs in, finds the item in the queue, uploads evidence and signs it off in the browser."""

from pathlib import Path

from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.programs.models import ItemStatus
from app.programs.service import get_item
from tests.factories import make_institution, make_program, make_user
from tests.web.conftest import PASSWORD, login, screenshot


def test_pharmacy_lead_uploads_evidence_and_signs_off(
    app: FastAPI, session: Session, live_server: str, page: Page, tmp_path: Path
) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("pharmacy_lead",), full_name="Sam Lindqvist",
              email="pharmacy@riverside.example", password=PASSWORD)
    program = make_program(session, app.state.catalog, institution)
    item = get_item(session, program.id, "PHARM-001")
    item.status = ItemStatus.DONE
    session.add(item)
    session.commit()

    login(page, live_server, "pharmacy@riverside.example")
    page.get_by_role("link", name="My sign-off queue").click()
    page.get_by_role("link", name="PHARM-001 Storage qualified").click()

    # Sign off waits, saying why, until the evidence is attached
    expect(page.get_by_role("button", name="Sign off PHARM-001")).to_be_disabled()
    expect(page.locator("#sign-reasons")).to_have_text("Attach the equipment qualification first")
    expect(page.get_by_label("Your password")).to_have_count(0)

    report = tmp_path / "freezer-pq.pdf"
    report.write_bytes(b"%PDF-1.4\nFreezer performance qualification\n%%EOF\n")
    page.get_by_label("File", exact=True).set_input_files(str(report))
    page.get_by_label("Kind").select_option("equipment_qualification")
    page.get_by_role("button", name="Upload evidence").click()
    expect(page.get_by_role("status")).to_have_text("Evidence uploaded.")
    expect(page.get_by_role("link", name="freezer-pq.pdf")).to_be_visible()

    page.get_by_label("Meaning of this signature").select_option("verified_on_site")
    page.get_by_label("Statement (optional)").fill("Freezer alarms tested with facilities.")
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Sign off PHARM-001").click()
    expect(page.locator(".field-error")).to_have_text("the password is incorrect")
    expect(page.get_by_label("Statement (optional)")).to_have_value("Freezer alarms tested with facilities.")

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign off PHARM-001").click()
    expect(page.get_by_role("status")).to_have_text("Signed off.")
    history = page.get_by_role("region", name="Sign-off history")
    expect(history).to_contain_text("Sam Lindqvist (Pharmacy lead) — verified on site")
    screenshot(page, "item-signed")
    session.expire_all()
    assert get_item(session, program.id, "PHARM-001").status == ItemStatus.SIGNED_OFF

    page.get_by_label("Reason to revoke").fill("Wrong freezer report attached.")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_have_text("Sign-off revoked.")
    expect(history).to_contain_text("Revoked by Sam Lindqvist")
