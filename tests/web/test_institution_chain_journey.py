"""The item page's approval chain panel in Chromium, at laptop and phone widths: two steps signed, the last step
signed on the page by a member of the medical executive committee; no horizontal scroll, axe-core clean.
And issue 15's whole journey: a workbook with a chain typed in becomes a program whose policy passes its three steps."""

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from openpyxl import Workbook
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlmodel import Session

from tests.conftest import PASSWORD, Team
from tests.factories import make_institution, make_user
from tests.institution_libraries.helpers import column_of, edited, set_library_field
from tests.signoffs.test_chains import KEY, give_chain, meeting, sign_step
from tests.signoffs.test_chains import committee as set_up_committee
from tests.signoffs.test_signoff_rules import attach, mark_done
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import login, screenshot


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_the_chain_panel_shows_each_step_and_the_last_is_signed_on_the_page(
    app: FastAPI, session: Session, team: Team, client_for: Any, live_server: str, page: Page, width: int
) -> None:
    give_chain(session, team)
    pt_user = make_user(session, team.institution, roles=("viewer",), password=PASSWORD,
                        email="pt@riverside.example", full_name="Pat Tee")
    mec_user = make_user(session, team.institution, roles=("viewer",), password=PASSWORD,
                         email="mec@riverside.example", full_name="Meg Exec")
    set_up_committee(session, team, "pt", "Pharmacy and therapeutics committee", pt_user)
    set_up_committee(session, team, "mec", "Medical executive committee", mec_user)
    attach(team, KEY, "committee_approval")
    mark_done(team, KEY)
    assert sign_step(team.clients["policy_lead"], team, "authored").status_code == 201
    assert sign_step(client_for(pt_user), team, "approved", meeting_date=meeting()).status_code == 201

    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "mec@riverside.example")
    page.goto(f"{live_server}/programs/{team.program.id}/items/{KEY}")
    expect(page.get_by_text("Approval chain").first).to_be_visible()
    expect(page.get_by_text("Sign step 3 of 3").first).to_be_visible()
    screenshot(page, f"chain-panel-two-signed-{width}")
    assert_fits(page, "the item page with its chain")
    assert_accessible(page, f"the item page with its chain at {width} px")


def add_items_with_a_chain(book: Workbook) -> None:
    """What an administrator types into the downloaded workbook: the institution's own id, two policy items, and
    on the second a chain (author, then the P&T committee, then the medical executive committee)."""
    set_library_field(book, "id", "riverside-mini")
    sheet = book["policy"]
    chain = [{"role": "policy_lead", "meaning": "authored"}, {"committee": "pt", "meaning": "approved"},
             {"committee": "mec", "meaning": "approved"}]
    rows = [
        {"id": "POL-101", "title": "State reporting contact named", "done_when": "The contact is in the register.",
         "why": "Our state asks for one.", "criticality": "minor", "signoff_role": "policy_lead",
         "references": "Riverside compliance manual"},
        {"id": "POL-102", "title": "Gene therapy administration policy", "done_when": "The policy is approved.",
         "why": "Every dose follows it.", "criticality": "blocker", "signoff_role": "policy_lead",
         "references": "Riverside policy on policies", "approval_chain": json.dumps(chain)},
    ]
    for values in rows:
        row = sheet.max_row + 1
        for name, value in values.items():
            sheet.cell(row=row, column=column_of(sheet, name), value=value)


def sign_next_step_on_the_page(page: Page, live_server: str, email: str, url: str, step: int) -> None:
    page.context.clear_cookies()
    login(page, live_server, email)
    page.goto(url)
    if page.get_by_label(re.compile("meeting")).count():
        page.get_by_label(re.compile("meeting")).fill(meeting())
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name=f"Sign step {step} of POL-102").click()
    expect(page.get_by_text(f"Step {step}").first).to_be_visible()


@pytest.mark.browser
def test_a_workbook_with_a_chain_becomes_a_program_whose_policy_passes_three_steps_into_the_report(
    app: FastAPI, session: Session, client_for: Any, live_server: str, page: Page, tmp_path: Path
) -> None:
    """Issue 15's journey: workbook download → two items and a chain typed in → upload → a program from it →
    the policy signed by its author, the P&T committee and the MEC on the pages → the report's register."""
    institution = make_institution(session, "Riverside University Hospital")
    admin = make_user(session, institution, roles=("administrator", "champion"), email="admin@riverside.example",
                      password=PASSWORD, full_name="Ada Admin")
    make_user(session, institution, roles=("policy_lead",), email="policy@riverside.example", password=PASSWORD,
              full_name="Polly Lead")
    pt_member = make_user(session, institution, roles=("viewer",), email="pt@riverside.example", password=PASSWORD,
                          full_name="Pat Tee")
    mec_member = make_user(session, institution, roles=("viewer",), email="mec@riverside.example",
                           password=PASSWORD, full_name="Meg Exec")
    api = client_for(admin)
    for slug, name, member in (("pt", "Pharmacy and therapeutics committee", pt_member),
                               ("mec", "Medical executive committee", mec_member)):
        made = api.post(f"/api/institutions/{institution.id}/committees", json={"slug": slug, "name": name})
        assert made.status_code == 201, made.text
        added = api.post(f"/api/institutions/{institution.id}/committees/{slug}/members",
                         json={"user_id": str(member.id)})
        assert added.status_code in (200, 201), added.text

    login(page, live_server, "admin@riverside.example")
    page.goto(f"{live_server}/libraries")
    with page.expect_download() as info:
        page.get_by_role("link", name="Workbook of mini 1.1.0").click()
    downloaded = tmp_path / "mini.xlsx"
    info.value.save_as(downloaded)
    ours = tmp_path / "riverside.xlsx"
    ours.write_bytes(edited(downloaded.read_bytes(), add_items_with_a_chain))
    page.get_by_label("Workbook (.xlsx) or YAML file").set_input_files(str(ours))
    page.get_by_role("button", name="Upload as a new version").click()
    expect(page.get_by_role("status")).to_contain_text("Stored riverside-mini 1.1.0")

    page.goto(f"{live_server}/programs/new")
    page.get_by_label("Program title").fill("Riverside gene therapy")
    page.get_by_label("Checklist library").select_option("riverside-mini")
    page.get_by_label("Hemgenix").check()
    page.get_by_role("button", name="Open program").click()
    page.wait_for_url(re.compile(r"/programs/[0-9a-f-]{36}$"))
    program_id = page.url.rsplit("/", 1)[1]
    item_url = f"{live_server}/programs/{program_id}/items/POL-102"
    page.goto(item_url)
    expect(page.get_by_text("Approval chain").first).to_be_visible()

    item = api.get(f"/api/programs/{program_id}/items/POL-102").json()
    done = api.patch(f"/api/programs/{program_id}/items/POL-102", json={"status": "done", "version": item["version"]})
    assert done.status_code == 200, done.text
    sign_next_step_on_the_page(page, live_server, "policy@riverside.example", item_url, 1)
    sign_next_step_on_the_page(page, live_server, "pt@riverside.example", item_url, 2)
    sign_next_step_on_the_page(page, live_server, "mec@riverside.example", item_url, 3)
    assert api.get(f"/api/programs/{program_id}/items/POL-102").json()["status"] == "signed_off"
    screenshot(page, "chain-journey-signed")

    report = api.post(f"/api/programs/{program_id}/reports", json={"kind": "full"})
    assert report.status_code == 201, report.text
    pdf = api.get(f"/api/reports/{report.json()['number']}/pdf")
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "POL-102" in text and "POL-101" in text
    for expected in ("step 1 of 3", "step 2 of 3", "on behalf of the Pharmacy and therapeutics committee",
                     "step 3 of 3", "on behalf of the Medical executive committee"):
        assert expected in text, expected
