"""Browsing checklist libraries in a real browser."""

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.factories import make_institution, make_user
from tests.web.conftest import PASSWORD, login, screenshot


@pytest.fixture
def viewer(app: FastAPI, session: Session, live_server: str, page: Page) -> Page:
    make_user(session, make_institution(session), roles=("viewer",), email="v@example.org", password=PASSWORD)
    login(page, live_server, "v@example.org")
    return page


def test_library_page_filters_items_by_product_and_care_role(live_server: str, viewer: Page) -> None:
    page = viewer
    page.goto(f"{live_server}/libraries")
    page.get_by_role("link", name="Minimal test library").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Minimal test library")
    expect(page.locator("tbody tr")).to_have_count(6)
    page.get_by_label("Product").select_option("roctavian")
    page.get_by_label("Care role").select_option("spoke")
    page.get_by_role("button", name="Show items").click()
    expect(page.locator("tbody tr")).to_have_count(3)
    expect(page.get_by_role("heading", name="Pharmacy handling")).to_have_count(0)
    screenshot(page, "library-filtered")


def test_pages_are_keyboard_reachable_with_a_skip_link(live_server: str, viewer: Page) -> None:
    page = viewer
    page.goto(f"{live_server}/libraries")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
