"""In the browser: a champion chooses Elevidys (restricted since 14 Nov 2025) when opening a program from the real
systemic-aav library, sees the status next to the product, and the program page tells them to check each patient
against the restricted indication; the library page shows Skysona restricted. At laptop and phone widths, with no
horizontal scroll and no axe-core WCAG AA violation."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.checklists.loader import load_catalog
from tests.conftest import REAL_CHECKLISTS
from tests.factories import make_institution, make_user
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import PASSWORD, login, screenshot

CHAMPION = "champion@restricted.example"


@pytest.fixture
def checklists_dir() -> Path:
    return REAL_CHECKLISTS


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_an_elevidys_program_is_opened_with_the_restriction_shown_where_the_choice_is_made(
    app: FastAPI, session: Session, live_server: str, page: Page, width: int
) -> None:
    systemic = load_catalog(REAL_CHECKLISTS).latest("systemic-aav")
    assert systemic is not None
    institution = make_institution(session, "Restricted Hospital")
    make_user(session, institution, roles=("champion",), email=CHAMPION, password=PASSWORD)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, CHAMPION)
    page.goto(f"{live_server}/programs/new")
    page.get_by_label("Program title").fill("Duchenne gene therapy")
    page.get_by_label("Checklist library").select_option(label=f"{systemic.title} ({systemic.version})")
    expect(page.get_by_text("restricted since 2025-11-14 (source: FDA Elevidys label change 2025)")).to_be_visible()
    page.get_by_label("Elevidys (delandistrogene moxeparvovec-rokl)").check()
    page.get_by_role("button", name="Open program").click()
    expect(page.get_by_role("heading", name="Duchenne gene therapy")).to_be_visible()
    warnings = page.locator("#product-warnings")
    expect(warnings).to_contain_text("is restricted since 2025-11-14")
    expect(warnings).to_contain_text("Check each patient against the restricted indication before ordering.")
    expect(page.locator("#item-POL-201")).to_be_visible()  # its pre-dose items stay
    screenshot(page, f"program-restricted-product-{width}")
    assert_accessible(page, f"at {width} px")
    assert_fits(page, "the page")


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_the_library_page_shows_skysona_restricted(
    app: FastAPI, session: Session, live_server: str, page: Page, width: int
) -> None:
    ex_vivo = load_catalog(REAL_CHECKLISTS).latest("ex-vivo-hsc")
    assert ex_vivo is not None
    institution = make_institution(session, "Restricted Hospital")
    make_user(session, institution, roles=("champion",), email=CHAMPION, password=PASSWORD)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, CHAMPION)
    page.goto(f"{live_server}/libraries/ex-vivo-hsc/{ex_vivo.version}")
    skysona = page.locator("ul.products li", has_text="Skysona")
    expect(skysona.locator(".badge")).to_have_text("Restricted")
    expect(skysona).to_contain_text("without an available HLA-matched allogeneic stem cell donor")
    screenshot(page, f"library-restricted-product-{width}")
    assert_accessible(page, f"at {width} px")
    assert_fits(page, "the page")
