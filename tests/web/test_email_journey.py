"""Issue 14's daily loop with the email in it, in the browser: a champion assigns an item to the pharmacy lead; a
worker pass mails the lead (caught by the test's real SMTP server); the lead follows the email's link, comments
mentioning the champion; the champion finds the mention among their notifications and opens it."""

import re
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from tests.factories import make_institution, make_program, make_user

# The app of this module sends mail through a real SMTP server the test starts (the notifications tests' fixtures).
from tests.notifications.conftest import BASE_URL, Mailbox, mailbox, settings, smtp, work  # noqa: F401
from tests.web.conftest import PASSWORD, login
from tests.web.test_my_work_journey import person_page


def plain_text(message: object) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[attr-defined]


@pytest.mark.browser
def test_assignment_email_link_leads_to_the_item_and_a_mention_reaches_the_champion(
    app: FastAPI, session: Session, live_server: str, browser: Browser, mailbox: Mailbox, work: object  # noqa: F811
) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("champion",), full_name="Dana Okafor",
              email="champion@riverside.example", password=PASSWORD)
    make_user(session, institution, roles=("pharmacy_lead",), full_name="Sam Lindqvist",
              email="pharmacy@riverside.example", password=PASSWORD)
    program = make_program(session, app.state.catalog, institution)

    champion = person_page(browser)
    login(champion, live_server, "champion@riverside.example")
    champion.goto(f"{live_server}/programs/{program.id}/items/PHARM-001")
    champion.get_by_label("Owner").select_option(label="Sam Lindqvist")
    champion.get_by_role("button", name="Save changes").click()
    expect(champion.get_by_role("status")).to_have_text("Saved.")

    work()  # type: ignore[operator]  # `gtready worker --once`
    [email] = [m for m in mailbox.to("pharmacy@riverside.example") if "assigned to you" in m["Subject"]]
    assert "PHARM-001" in email["Subject"]
    match = re.search(re.escape(BASE_URL) + r"/\S+", plain_text(email))
    assert match is not None, plain_text(email)
    link = urlsplit(match.group(0))
    assert link.path == f"/programs/{program.id}/items/PHARM-001"

    lead = person_page(browser)
    login(lead, live_server, "pharmacy@riverside.example")
    lead.goto(f"{live_server}{link.path}")  # the email's link, on the server the test runs
    expect(lead.get_by_role("heading", level=1)).to_contain_text("PHARM-001")
    lead.get_by_label("Add a comment").fill("Freezer qualified; @champion please review.")
    lead.get_by_role("button", name="Comment", exact=True).click()
    expect(lead.locator(".comment").first).to_contain_text("Mentions: Dana Okafor")

    champion.goto(f"{live_server}/notifications")
    mention = champion.locator("tr.unread", has_text="Sam Lindqvist mentioned you on PHARM-001")
    expect(mention).to_have_count(1)
    mention.get_by_role("button", name="Open").click()
    champion.wait_for_url(f"**/programs/{program.id}/items/PHARM-001**")
    expect(champion.locator(".comment").first).to_contain_text("Freezer qualified; @champion please review.")
    champion.context.close()
    lead.context.close()
