"""The item page's approval chain panel in Chromium, at laptop and phone widths: two steps signed, the last step
signed on the page by a member of the medical executive committee; no horizontal scroll, axe-core clean.
(The full issue-15 journey, workbook to report, is still to be written: see the commit message.)"""

from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.conftest import PASSWORD, Team
from tests.factories import make_user
from tests.signoffs.test_chains import KEY, give_chain, meeting, sign_step
from tests.signoffs.test_chains import committee as set_up_committee
from tests.signoffs.test_signoff_rules import attach, mark_done
from tests.web.conftest import login, screenshot
from tests.web.test_institution_library_page import axe


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
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert axe(page) == []
