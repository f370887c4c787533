"""The site dossiers page in Chromium: it passes axe-core's WCAG 2.1 AA rules and fits a 390 px phone."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect

from app.config import PROJECT_ROOT
from tests.conftest import Team
from tests.dossier.conftest import attach, pdf_bytes
from tests.dossier.conftest import site as site  # noqa: F401  (the fixture, for this folder)
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import login, screenshot


@pytest.fixture
def checklists_dir() -> Path:
    return PROJECT_ROOT / "checklists"


@pytest.mark.browser
def test_the_dossiers_page_meets_wcag_aa_and_fits_a_phone(
    app: FastAPI, site: Team, live_server: str, browser: Browser  # noqa: F811
) -> None:
    champion = site.clients["champion"]
    attach(site, "PHARM-101", "equipment_qualification", "fridge-qualification-with-a-rather-long-name.pdf",
           pdf_bytes("fridge"))
    first = champion.post(site.url("/dossiers"), json={"product": "hemgenix"}).json()["number"]
    champion.post(f"/api/dossiers/{first}/sent")
    attach(site, "PHARM-102", "sop", "dilution-sop.pdf", pdf_bytes("sop"))
    champion.post(site.url("/dossiers"), json={"product": "hemgenix"})
    for width in (1366, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, live_server, "champion@riverside.example")
        page.goto(f"{live_server}/programs/{site.program.id}/dossiers")
        expect(page.get_by_role("heading", name="Manufacturer site dossiers")).to_be_visible()
        expect(page.locator("details[open] li")).to_contain_text(["PHARM-102"])
        assert_accessible(page, f"at {width}px")
        screenshot(page, f"dossiers-{width}")
        assert_fits(page, "the dossiers page")
        context.close()
