"""Issue 14's daily loop in the browser: a champion assigns an item to the pharmacy lead, who finds it on My work,
opens it and comments mentioning the champion; the champion finds the mention on their own My work."""

from datetime import timedelta

from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from app.clock import today
from app.formatting import format_date
from tests.factories import make_institution, make_program, make_user
from tests.web.conftest import PASSWORD, login, screenshot

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


def person_page(browser: Browser, width: int = 1366) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.set_default_timeout(10_000)
    return page


def overflowing(page: Page) -> list[str]:
    """Elements reaching past the viewport's right edge (sideways scrolling), by tag, class and width."""
    return list(page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""))


def test_assigned_item_found_on_my_work_commented_with_a_mention_seen_by_the_mentioned(
    app: FastAPI, session: Session, live_server: str, browser: Browser
) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("champion",), full_name="Dana Okafor",
              email="champion@riverside.example", password=PASSWORD)
    make_user(session, institution, roles=("pharmacy_lead",), full_name="Sam Lindqvist",
              email="pharmacy@riverside.example", password=PASSWORD)
    program = make_program(session, app.state.catalog, institution)
    item_path = f"{live_server}/programs/{program.id}/items/PHARM-001"
    due = today() + timedelta(days=5)

    champion = person_page(browser)
    login(champion, live_server, "champion@riverside.example")
    champion.goto(item_path)
    champion.get_by_label("Owner").select_option(label="Sam Lindqvist")
    champion.get_by_label("Due date").fill(due.isoformat())
    champion.get_by_role("button", name="Save changes").click()
    expect(champion.get_by_role("status")).to_have_text("Saved.")

    lead = person_page(browser)
    login(lead, live_server, "pharmacy@riverside.example")
    expect(lead.locator("#my-work-link .work-count")).to_have_text("1")
    lead.locator("#my-work-link").click()
    due_list = lead.get_by_role("region", name="Due in the next 14 days or overdue", exact=True)
    expect(due_list).to_contain_text("Storage qualified")
    expect(due_list).to_contain_text(f"due {format_date(due)}")
    due_list.get_by_role("link", name="PHARM-001 Storage qualified").click()
    lead.wait_for_url(f"**/programs/{program.id}/items/PHARM-001")

    lead.get_by_label("Add a comment").fill("Freezer qualified; @champion can you review before Friday?")
    lead.get_by_role("button", name="Comment", exact=True).click()
    comment = lead.locator(".comment").first
    expect(comment).to_contain_text("Sam Lindqvist")
    expect(comment).to_contain_text("Freezer qualified; @champion can you review before Friday?")
    expect(comment).to_contain_text("Mentions: Dana Okafor")
    history = lead.get_by_role("region", name="History", exact=True)
    expect(history).to_contain_text("Dana Okafor assigned it to Sam Lindqvist")
    expect(history).to_contain_text("Sam Lindqvist commented")

    champion.goto(f"{live_server}/")
    expect(champion.locator("#my-work-link .work-count")).to_have_text("1")
    champion.get_by_role("link", name="Open My work").click()
    mentions = champion.get_by_role("region", name="Comments that mention you", exact=True)
    expect(mentions).to_contain_text("Sam Lindqvist: Freezer qualified; @champion can you review before Friday?")
    mentions.get_by_role("link", name="PHARM-001 Storage qualified").click()
    expect(champion.locator(".comment").first).to_be_visible()

    for name, (width, height) in WIDTHS.items():
        page = person_page(browser, width)
        page.set_viewport_size({"width": width, "height": height})
        login(page, live_server, "pharmacy@riverside.example")
        for shot, path in (("my-work", "/me"), ("item-comments-history", f"/programs/{program.id}/items/PHARM-001")):
            page.goto(f"{live_server}{path}")
            screenshot(page, f"{shot}-{name}")
            assert overflowing(page) == [], f"{path} is wider than the {width} px viewport"
        page.context.close()
    champion.context.close()
    lead.context.close()
