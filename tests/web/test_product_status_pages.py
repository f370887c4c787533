"""In the browser: opening a program shows each product's status, refuses a discontinued one next to the product
choice, and the program page keeps saying what a divesting product means; the jurisdiction is chosen and shown."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.factories import make_institution, make_user
from tests.web.conftest import PASSWORD, login, screenshot

LIFECYCLE_ROOT = Path(__file__).parents[1] / "fixtures" / "lifecycle"
CHAMPION = "champion@lifecycle.example"


@pytest.fixture
def checklists_dir() -> Path:
    return LIFECYCLE_ROOT


def test_a_champion_is_told_why_beqvez_cannot_start_a_program_and_opens_a_roctavian_one_in_the_eu(
    app: FastAPI, session: Session, live_server: str, page: Page
) -> None:
    institution = make_institution(session, "Lifecycle Hospital")
    make_user(session, institution, roles=("champion",), email=CHAMPION, password=PASSWORD)
    login(page, live_server, CHAMPION)
    page.goto(f"{live_server}/programs/new")
    expect(page.get_by_text("Beqvez is discontinued since 2025-02-20 (source: NBDF Beqvez 2025)")).to_be_visible()
    page.get_by_label("Program title").fill("Hemophilia B gene therapy")
    page.get_by_label("Beqvez").check()
    page.get_by_role("button", name="Open program").click()
    error = page.locator("#products-error")
    expect(error).to_contain_text("Beqvez is discontinued since 2025-02-20 (source: NBDF Beqvez 2025)")
    expect(error).to_contain_text("A new program cannot offer it.")
    expect(page.get_by_label("Program title")).to_have_value("Hemophilia B gene therapy")

    page.get_by_label("Beqvez").uncheck()
    page.get_by_label("Roctavian").check()
    page.get_by_label("EU / UK").check()
    page.get_by_role("button", name="Open program").click()
    expect(page.get_by_role("heading", name="Hemophilia B gene therapy")).to_be_visible()
    expect(page.locator("#jurisdiction")).to_have_text("EU / UK")
    expect(page.locator("#product-warnings")).to_contain_text(
        "Roctavian is divesting since 2025-06-01 (source: BioMarin Q2 2025). Confirm supply before scheduling a "
        "patient."
    )
    expect(page.locator("#item-PAY-002")).to_be_visible()
    expect(page.locator("#item-PAY-001")).to_have_count(0)
    screenshot(page, "program-divesting-product")
