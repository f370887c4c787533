"""The item page offers no form a person cannot submit: who signs it is named, and Sign off waits (disabled, with the
reasons in words) until the rules hold; after signing, the next item of the person's queue is offered."""

from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.programs.service import get_item
from tests.conftest import PASSWORD, Team
from tests.signoffs.test_signoff_rules import attach, mark_done
from tests.web.conftest import login, screenshot
from tests.web.form_client import as_role


def item_url(team: Team, key: str) -> str:
    return f"/programs/{team.program.id}/items/{key}"


def test_a_pharmacy_lead_on_a_policy_item_gets_no_form_and_is_told_who_signs(app: FastAPI, team: Team) -> None:
    page = as_role(app, team, "pharmacy_lead").get(item_url(team, "POL-001"))
    assert page.status_code == 200
    html = page.text
    assert f'action="{item_url(team, "POL-001")}"' not in html  # no progress form
    assert "/evidence\"" not in html and 'type="file"' not in html  # no upload form
    assert 'id="progress-read-only"' in html and "changed by the policy lead" in html
    assert 'id="signers">Policy lead: Policy lead</dd>' in html  # the role and its holder (named after the role)
    assert "Only the policy lead can sign this" in html and 'disabled aria-disabled="true"' in html
    assert 'name="password"' not in html


def test_a_forged_save_is_403_and_changes_nothing(app: FastAPI, session: Session, team: Team) -> None:
    lead = as_role(app, team, "pharmacy_lead")
    lead.get(item_url(team, "POL-001"))
    before = get_item(session, team.program.id, "POL-001")
    version, notes = before.version, before.notes
    forged = lead.post(item_url(team, "POL-001"), {"version": str(version), "status": "done",
                                                   "notes": "typed by the wrong lead", "return_to": "page"})
    assert forged.status_code == 403
    session.expire_all()
    after = get_item(session, team.program.id, "POL-001")
    assert (after.version, after.notes, after.status) == (version, notes, before.status)


def test_viewers_and_other_leads_read_only_while_the_items_role_and_champions_edit(app: FastAPI, team: Team) -> None:
    form = f'action="{item_url(team, "PHARM-001")}"'
    for role in ("viewer", "policy_lead", "finance_lead"):
        assert form not in as_role(app, team, role).get(item_url(team, "PHARM-001")).text, role
    for role in ("pharmacy_lead", "champion", "administrator"):
        html = as_role(app, team, role).get(item_url(team, "PHARM-001")).text
        assert form in html and 'type="file"' in html, role


def test_sign_off_is_disabled_with_each_reason_until_the_rules_hold(app: FastAPI, team: Team) -> None:
    lead = as_role(app, team, "pharmacy_lead")
    html = lead.get(item_url(team, "PHARM-001")).text
    assert "<li>Mark the item done first</li>" in html
    assert "<li>Attach the equipment qualification first</li>" in html
    mark_done(team, "PHARM-001")
    html = lead.get(item_url(team, "PHARM-001")).text
    assert "Mark the item done first" not in html and "Attach the equipment qualification first" in html
    attach(team, "PHARM-001", "equipment_qualification")
    html = lead.get(item_url(team, "PHARM-001")).text
    assert 'id="sign-off-blocked"' not in html and 'name="password"' in html


def test_after_signing_the_next_item_in_the_queue_is_offered(app: FastAPI, team: Team) -> None:
    for key in ("PHARM-001", "PHARM-002"):
        mark_done(team, key)
    attach(team, "PHARM-001", "equipment_qualification")
    mark_done(team, "PAY-001")  # a finance item: not in the pharmacy lead's queue
    lead = as_role(app, team, "pharmacy_lead")
    page = lead.get(item_url(team, "PHARM-001"))
    version = get_version(page.text)
    signed = lead.post(item_url(team, "PHARM-001") + "/signoff",
                       {"password": PASSWORD, "meaning": "approved", "version": version})
    assert signed.status_code == 303
    html = lead.get(signed.headers["location"]).text
    assert "Signed off." in html
    assert f'Next in your queue: <a href="{item_url(team, "PHARM-002")}">' in html  # its dependency now signed


def get_version(html: str) -> str:
    marker = 'name="version" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def test_browser_policy_item_for_a_pharmacy_lead_at_laptop_and_phone_widths(
    app: FastAPI, team: Team, live_server: str, page: Page
) -> None:
    mark_done(team, "PHARM-001")
    login(page, live_server, team.people["pharmacy_lead"].email)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live_server + item_url(team, "POL-001"))
        expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
        expect(page.get_by_role("button", name="Upload evidence")).to_have_count(0)
        expect(page.locator("#sign-reasons")).to_contain_text("Only the policy lead can sign this")
        expect(page.get_by_role("button", name="Sign off POL-001")).to_be_disabled()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"item-policy-as-pharmacy-{width}")
        page.goto(live_server + item_url(team, "PHARM-001"))
        expect(page.locator("#sign-reasons")).to_have_text("Attach the equipment qualification first")
        expect(page.get_by_role("button", name="Save changes")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"item-sign-blocked-{width}")
