"""The committee packets page in Chromium: it passes axe-core's WCAG 2.1 AA rules and fits a 390 px phone, with an
upload form open and a refused definition's problem shown."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect

from app.config import PROJECT_ROOT
from tests.conftest import Team
from tests.packets.conftest import real_team as real_team  # noqa: F401  (the fixture, for this file)
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import login, screenshot


@pytest.fixture
def checklists_dir() -> Path:
    return PROJECT_ROOT / "checklists"


@pytest.mark.browser
def test_the_packets_page_meets_wcag_aa_and_fits_a_phone(
    app: FastAPI, real_team: Team, live_server: str, browser: Browser  # noqa: F811
) -> None:
    for width in (1366, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, live_server, "champion@riverside.example")
        page.goto(f"{live_server}/institutions/{real_team.institution.id}/packets")
        expect(page.get_by_role("heading", name="Committee packets", exact=True)).to_be_visible()
        section = page.locator("section", has=page.get_by_role("heading", name="Finance leadership packet"))
        section.get_by_text("Upload an adapted definition").click()
        section.get_by_label("or paste it here").fill("kind: finance\ntitle: x\ncolour: red\n")
        section.get_by_role("button", name="Save definition").click()
        expect(page.get_by_role("alert")).to_contain_text("line 3: colour: unknown key")
        assert_accessible(page, f"at {width}px")
        screenshot(page, f"packets-{width}")
        assert_fits(page, "the packets page")
        context.close()
