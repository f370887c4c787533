"""In Chromium, under the app's Content-Security-Policy: no page breaks a rule, and htmx still loads content."""

import re

import pytest
from fastapi import FastAPI
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlmodel import Session

from tests.web.conftest import login
from tests.web.test_dashboard import CHAMPION, riverside, worked_program

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def test_no_page_breaks_the_policy_and_htmx_still_swaps_content(
    app: FastAPI, session: Session, live_server: str, page: Page
) -> None:
    program_id = worked_program(app, session, riverside(session))
    console: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            console.append(message.text)

    page.on("console", keep)
    page.add_init_script(WATCH_VIOLATIONS)
    login(page, live_server, CHAMPION)
    response = page.goto(f"{live_server}/")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    # the readiness-over-time chart is fetched and swapped in by htmx after the page loads
    expect(page.get_by_role("img", name=re.compile("overall readiness .* 31% now"))).to_be_visible()
    assert page.evaluate("window.__cspViolations") == []
    for path in (f"/programs/{program_id}", f"/programs/{program_id}/planning",
                 f"/programs/{program_id}/planning/new/reimbursement", f"/programs/{program_id}/items/PAY-001",
                 "/account", "/libraries"):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate("window.__cspViolations") == [], path
    assert console == []
