"""Every page passes the WCAG 2.1 A and AA rules that axe-core checks (labels, contrast, headings, landmarks,
names of links, buttons and images), in Chromium, as a champion who also administers the institution sees it.

The checks themselves are in tests/web/checks.py."""


import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser
from sqlmodel import Session

from app.planning.defaults import default_reimbursement_inputs
from app.planning.schemas import ScenarioKind
from app.planning.service import save_scenario
from tests.conftest import Team
from tests.factories import make_user
from tests.signoffs.test_signoff_rules import mark_done
from tests.web.checks import axe_violations
from tests.web.conftest import PASSWORD, login, screenshot


def pages(team: Team, scenario_id: object) -> list[str]:
    program, institution = team.program.id, team.institution.id
    return [
        "/", "/me", "/notifications", "/queue", "/libraries", f"/libraries/{program_library(team)}", "/programs/new",
        "/account",
        f"/programs/{program}", f"/programs/{program}/items/PAY-001", f"/programs/{program}/reports",
        f"/programs/{program}/planning", f"/programs/{program}/planning/{scenario_id}?run=1",
        f"/programs/{program}/planning/new/capacity", f"/programs/{program}/library",
        f"/programs/{program}/history", f"/institutions/{institution}/admin", "/verify", "/no-such-page-at-all",
    ]


def program_library(team: Team) -> str:
    return f"{team.program.library_id}/{team.program.library_version}"


@pytest.mark.browser
def test_every_page_meets_wcag_aa_rules(
    app: FastAPI, session: Session, team: Team, live_server: str, browser: Browser
) -> None:
    make_user(session, team.institution, roles=("champion", "administrator"), email="lead@riverside.example",
              full_name="Maya Okafor", password=PASSWORD)
    mark_done(team, "PAY-001")
    scenario = save_scenario(session, team.people["finance_lead"], team.program, ScenarioKind.REIMBURSEMENT,
                             "Base case", default_reimbursement_inputs(team.program.products, patients_per_year=2))
    found: dict[str, list[str]] = {}
    for width in (1280, 820):  # a laptop and a tablet
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, live_server, "lead@riverside.example")
        for path in [*pages(team, scenario.id), "/logout-page"]:
            if path == "/logout-page":  # the login page, as someone logged out sees it
                context.clear_cookies()
                path = "/login"
            page.goto(live_server + path)
            page.wait_for_load_state("networkidle")  # htmx has loaded what it loads after the page
            # axe is injected through the debugging protocol: the page's CSP rightly refuses inline scripts
            if problems := axe_violations(page):
                found[f"{path} at {width}px"] = problems
                screenshot(page, f"a11y-{width}-{path.strip('/').replace('/', '_')[:60] or 'dashboard'}")
        context.close()
    assert found == {}, "\n".join(f"{where}:\n  " + "\n  ".join(problems) for where, problems in found.items())
