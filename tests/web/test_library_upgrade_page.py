"""The library upgrade page: pinned version, newer versions, the diff, and applying it (program managers only)."""

import re

from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.programs.service import get_item, get_program
from tests.conftest import Team
from tests.web.conftest import login, screenshot
from tests.web.form_client import as_role


def test_page_shows_the_pinned_version_and_the_diff_of_the_api(app: FastAPI, team: Team) -> None:
    api = team.clients["viewer"].get(team.url("/library-diff"), params={"to_version": "1.1.0"}).json()
    html = as_role(app, team, "viewer").get(f"/programs/{team.program.id}/library").text
    assert 'id="pinned-version">mini 1.0.0<' in html
    assert '<option value="1.1.0" selected>1.1.0 (latest)</option>' in html
    assert "1 added · 1 retired · 1 changed · 3 unchanged" in html
    for item in api["added"] + api["removed"] + api["changed"]:
        assert f'{item["key"]}' in html and item["title"] in html
    assert ('<td class="before" data-label="Now">SOP approved.</td>'
            '<td class="after" data-label="After the upgrade">SOP approved and trained.</td>') in html
    assert "Apply upgrade" not in html and "Only a champion or an administrator" in html


def test_champion_applies_the_upgrade_like_the_api(app: FastAPI, team: Team, session: Session) -> None:
    champion = as_role(app, team, "champion")
    assert "Apply upgrade to 1.1.0" in champion.get(f"/programs/{team.program.id}/library").text
    response = champion.post(f"/programs/{team.program.id}/library", {"to_version": "1.1.0"})
    assert response.status_code == 303
    html = champion.get(response.headers["location"]).text
    assert "Upgraded to mini 1.1.0: 1 added, 1 retired, 1 changed." in html
    assert 'id="pinned-version">mini 1.1.0<' in html
    assert "the program is up to date" in html
    session.expire_all()
    assert get_program(session, team.program.id).library_version == "1.1.0"
    assert get_item(session, team.program.id, "POL-002").retired
    events = team.clients["champion"].get(team.url("/audit")).json()["items"]
    upgraded = next(e for e in events if e["action"] == "program.library_upgraded")
    assert upgraded["actor_id"] == str(team.people["champion"].id)
    assert upgraded["after"]["library_version"] == "1.1.0" and upgraded["after"]["retired"] == ["POL-002"]


def test_others_may_not_apply_and_bad_versions_are_named(app: FastAPI, team: Team, session: Session) -> None:
    base = f"/programs/{team.program.id}/library"
    finance = as_role(app, team, "finance_lead")
    finance.get(base)
    assert finance.post(base, {"to_version": "1.1.0"}).status_code == 403
    champion = as_role(app, team, "champion")
    champion.get(base)
    for bad in ("1.0.0", "9.9.9", "latest", ""):
        response = champion.post(base, {"to_version": bad})
        assert response.status_code == 422, bad
        assert "is not a newer version" in response.text
    preview = champion.get(f"{base}?to_version=latest")
    assert preview.status_code == 422
    assert re.search(r'id="to-version-error">latest is not a newer version', preview.text)
    session.expire_all()
    assert get_program(session, team.program.id).library_version == "1.0.0"


def test_upgrade_needs_the_csrf_token(app: FastAPI, team: Team, session: Session) -> None:
    champion = as_role(app, team, "champion")
    champion.get(f"/programs/{team.program.id}/library")
    champion.csrf = "forged"
    assert champion.post(f"/programs/{team.program.id}/library", {"to_version": "1.1.0"}).status_code == 403
    session.expire_all()
    assert get_program(session, team.program.id).library_version == "1.0.0"


def test_champion_previews_and_applies_an_upgrade_in_the_browser(
    team: Team, session: Session, live_server: str, page: Page
) -> None:
    login(page, live_server, team.people["champion"].email)
    page.goto(f"{live_server}/programs/{team.program.id}")
    page.get_by_role("link", name="Checklist library version").click()
    expect(page.locator("#pinned-version")).to_have_text("mini 1.0.0")
    expect(page.get_by_label("Newer version")).to_have_value("1.1.0")
    page.get_by_role("button", name="Preview changes").click()
    expect(page.locator("#diff-summary")).to_have_text("1 added · 1 retired · 1 changed · 3 unchanged")
    expect(page.get_by_role("region", name="Items added")).to_contain_text("PAY-002")
    expect(page.get_by_role("region", name="Items removed (retired, their history kept)")).to_contain_text("POL-002")
    expect(page.get_by_role("region", name="Items changed")).to_contain_text("SOP approved and trained.")
    screenshot(page, "library-upgrade-preview")
    page.get_by_role("button", name="Apply upgrade to 1.1.0").click()
    expect(page.get_by_role("status")).to_have_text("Upgraded to mini 1.1.0: 1 added, 1 retired, 1 changed.")
    expect(page.locator("#pinned-version")).to_have_text("mini 1.1.0")
    screenshot(page, "library-upgrade-applied")
    session.expire_all()
    assert get_program(session, team.program.id).library_version == "1.1.0"
