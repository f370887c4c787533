"""The branding section of the administration page and the reports page's Word links and Mark final button, at a
laptop's and a phone's width, without horizontal scrolling."""

import pytest
from playwright.sync_api import Browser

from tests.branding.test_branding import NAME_LINE, png
from tests.conftest import Team
from tests.web.conftest import login, screenshot


@pytest.mark.browser
def test_branding_and_reports_pages_fit_a_phone(team: Team, live_server: str, browser: Browser) -> None:
    admin = team.clients["administrator"]
    admin.put(f"/api/institutions/{team.institution.id}/branding",
              json={"name_line": NAME_LINE, "primary_colour": "#5b2c6f", "accent_colour": "#d35400"})
    admin.put(f"/api/institutions/{team.institution.id}/branding/logo", files={"file": ("l.png", png(), "image/png")})
    number = team.clients["champion"].post(team.url("/reports"), json={"kind": "executive"}).json()["number"]
    for width in (1366, 390):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        login(page, live_server, "administrator@riverside.example")
        page.goto(f"{live_server}/institutions/{team.institution.id}/admin#branding")
        assert page.get_by_label("Name line", exact=True).input_value() == NAME_LINE
        assert page.get_by_role("img", name=f"{team.institution.name}'s current logo").is_visible()
        # the branding section itself fits (the members table above it is another part's concern)
        rights = page.evaluate("""() => [...document.querySelectorAll(
            'form[action*="/admin/branding"], form[action*="/admin/branding"] *')]
            .map(e => e.getBoundingClientRect().right)""")
        assert rights and max(rights) <= width
        screenshot(page, f"admin-branding-{width}")
        context.clear_cookies()
        login(page, live_server, "champion@riverside.example")
        page.goto(f"{live_server}/programs/{team.program.id}/reports")
        assert page.get_by_role("link", name=f"Word copy of {number}").count() == 1
        # the reports table scrolls inside its own box (the kind selector above is another part's concern)
        assert page.evaluate("() => document.querySelector('.table-wrap').getBoundingClientRect().right") <= width
        screenshot(page, f"reports-final-{width}")
        if width == 1366:  # marked final once; at the phone's width the table then shows it final
            page.get_by_role("button", name=f"Mark final {number}").click()
            page.wait_for_load_state()
            assert page.get_by_text(f"Report {number} is final").is_visible()
        else:
            assert page.get_by_role("button", name=f"Mark final {number}").count() == 0
        context.close()
