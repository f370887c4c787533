"""Destructive actions ask first: a confirmation page (GET asks, POST does it) for role removal, invitation
revocation, committee member removal, scenario deletion and token revocation. No role is preselected, and form
errors show at the top of the form in an error summary that takes the focus, on the part of the page the person
was looking at."""

import re

from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.auth.models import ApiToken
from app.auth.service import create_api_token, roles_in
from app.committees import service as committees
from app.planning import service as planning
from app.planning.schemas import ScenarioKind
from tests.conftest import Team
from tests.web.conftest import login, screenshot
from tests.web.form_client import FormClient, as_role
from tests.web.test_admin_pages import ADMIN, invite, riverside
from tests.web.test_planning_pages import saved


def admin_url(team: Team, path: str = "") -> str:
    return f"/institutions/{team.institution.id}/admin{path}"


def test_removing_a_role_asks_first_and_cancel_keeps_it(app: FastAPI, session: Session, team: Team) -> None:
    admin = as_role(app, team, "administrator")
    lead = team.people["pharmacy_lead"]
    page = admin.get(admin_url(team)).text
    remove = admin_url(team, f"/members/{lead.id}/roles/pharmacy_lead/remove")
    assert f'<a class="button secondary" href="{remove}"' in page  # a link to the question, not a one-click form
    assert f'action="{remove}"' not in page
    asked = admin.get(remove)
    assert asked.status_code == 200
    assert "Remove the role Pharmacy lead from Pharmacy lead?" in asked.text
    assert f'action="{remove}"' in asked.text and ">Remove role</button>" in asked.text
    assert f'href="{admin_url(team)}#member-{lead.id}">Cancel</a>' in asked.text
    session.expire_all()
    # asking changed nothing
    assert {r.value for r in roles_in(session, lead, team.institution.id)} == {"pharmacy_lead"}
    done = admin.post(remove, {})
    assert done.status_code == 303 and "done=removed" in done.headers["location"]
    session.expire_all()
    assert roles_in(session, lead, team.institution.id) == set()


def test_only_administrators_are_asked(app: FastAPI, team: Team) -> None:
    lead = team.people["pharmacy_lead"]
    champion = as_role(app, team, "champion")
    assert champion.get(admin_url(team, f"/members/{lead.id}/roles/pharmacy_lead/remove")).status_code == 403


def test_revoking_an_invitation_asks_first(app: FastAPI, session: Session) -> None:
    institution = riverside(session)
    invitation, _ = invite(session, institution)
    admin = FormClient(app, ADMIN)
    url = f"/institutions/{institution.id}/admin/invitations/{invitation.id}/revoke"
    assert f'href="{url}"' in admin.get(f"/institutions/{institution.id}/admin").text
    asked = admin.get(url)
    assert "Revoke the invitation to Noor Haddad (noor@riverside.example)?" in asked.text
    assert ">Revoke invitation</button>" in asked.text and ">Cancel</a>" in asked.text
    assert admin.post(url, {}).status_code == 303
    session.expire_all()
    session.refresh(invitation)
    assert invitation.revoked_at is not None


def test_removing_a_committee_member_asks_first(app: FastAPI, session: Session, team: Team) -> None:
    seated = team.people["viewer"]
    made = committees.create_committee(session, None, team.institution.id, "pt", "Pharmacy and therapeutics")
    committees.add_member(session, None, made, seated.id)
    admin = as_role(app, team, "administrator")
    url = admin_url(team, f"/committees/pt/members/{seated.id}/remove")
    assert f'href="{url}"' in admin.get(admin_url(team)).text
    asked = admin.get(url)
    assert "Remove Viewer from the Pharmacy and therapeutics?" in asked.text
    assert committees.member_ids(session, made.id) == {seated.id}
    assert admin.post(url, {}).status_code == 303
    assert committees.member_ids(session, made.id) == set()


def test_deleting_a_scenario_asks_first(app: FastAPI, session: Session, team: Team) -> None:
    scenario = saved(session, team, ScenarioKind.REIMBURSEMENT)
    url = f"/programs/{team.program.id}/planning/{scenario.id}/delete"
    champion = as_role(app, team, "champion")
    page = champion.get(f"/programs/{team.program.id}/planning/{scenario.id}").text
    assert f'href="{url}"' in page and f'action="{url}"' not in page
    asked = champion.get(url)
    assert f"Delete the scenario “{scenario.name}”?" in asked.text and ">Delete scenario</button>" in asked.text
    assert len(planning.list_scenarios(session, team.program.id)) == 1
    assert as_role(app, team, "viewer").get(url).status_code == 403  # only its editors are asked
    assert champion.post(url, {}).status_code == 303
    assert planning.list_scenarios(session, team.program.id) == []


def test_revoking_a_token_asks_first(app: FastAPI, session: Session, team: Team) -> None:
    record, _ = create_api_token(session, team.people["viewer"], "Nightly export")
    viewer = as_role(app, team, "viewer")
    url = f"/account/tokens/{record.id}/revoke"
    assert f'href="{url}"' in viewer.get("/account").text
    assert "Revoke the API token “Nightly export”?" in viewer.get(url).text
    assert as_role(app, team, "champion").get(url).status_code == 404  # someone else's token
    assert viewer.post(url, {}).status_code == 303
    session.expire_all()
    assert session.get(ApiToken, record.id).revoked_at is not None  # type: ignore[union-attr]


def test_revoking_a_service_account_asks_first(app: FastAPI, team: Team) -> None:
    body = {"name": "Warehouse", "access": "read"}
    made = team.clients["administrator"].post(f"/api/institutions/{team.institution.id}/service-accounts", json=body)
    url = admin_url(team, f"/security/service-accounts/{made.json()['id']}/revoke")
    admin = as_role(app, team, "administrator")
    assert f'href="{url}"' in admin.get(admin_url(team, "/security")).text
    assert "Revoke the service account “Warehouse”?" in admin.get(url).text
    assert as_role(app, team, "champion").get(url).status_code == 403
    assert admin.post(url, {}).status_code == 303
    listed = team.clients["administrator"].get(f"/api/institutions/{team.institution.id}/service-accounts").json()
    assert [a["revoked_at"] is not None for a in listed] == [True]


def test_no_role_is_preselected_and_none_chosen_is_an_error_at_that_form(app: FastAPI, team: Team) -> None:
    admin = as_role(app, team, "administrator")
    page = admin.get(admin_url(team)).text
    selects = re.findall(r'<select id="give-[^"]+" name="role" required\s*>(.*?)</select>', page, re.S)
    assert selects and all(s.startswith('<option value="" selected>Choose a role</option>') for s in selects)
    assert all(s.count("selected") == 1 for s in selects)
    lead = team.people["pharmacy_lead"]
    action = admin_url(team, f"/members/{lead.id}/roles")
    # The answer opens at its error summary, which the browser focuses as the fragment's target.
    assert f'action="{action}#give-{lead.id}-error"' in page
    refused = admin.post(action, {"role": ""})
    assert refused.status_code == 422
    summary = re.search(r'<div class="flash error error-summary" role="alert" tabindex="-1" autofocus '
                        rf'data-error-summary id="give-{lead.id}-error"><a href="#give-{lead.id}">(.*?)</a>',
                        refused.text)
    assert summary and summary.group(1) == "Role: choose a role to give Pharmacy lead."


def test_invitation_errors_are_summarised_at_the_top_of_the_form(app: FastAPI, team: Team) -> None:
    admin = as_role(app, team, "administrator")
    page = admin.get(admin_url(team)).text
    assert f'action="{admin_url(team, "/invitations")}#invite-errors"' in page
    refused = admin.post(admin_url(team, "/invitations"), {"email": "not an email", "full_name": ""})
    assert refused.status_code == 422
    form = refused.text.split('aria-labelledby="invite-heading"', 1)[1]
    summary = '<div class="flash error error-summary" role="alert" tabindex="-1"'
    assert form.split(">", 1)[1].lstrip().startswith(summary)
    assert '<a href="#invite-email">Email: enter an email address' in form
    assert '<a href="#invite-roles">Roles: choose at least one role</a>' in form


def test_browser_the_error_summary_takes_the_focus_at_laptop_and_phone_widths(
    app: FastAPI, team: Team, live_server: str, page: Page
) -> None:
    login(page, live_server, team.people["administrator"].email)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live_server + admin_url(team))
        page.get_by_label("Email", exact=True).fill("noor at riverside")
        page.get_by_role("button", name="Create invitation").click()
        summary = page.locator("#invite-errors")
        expect(summary).to_be_focused()
        expect(summary).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"admin-invite-error-summary-{width}")
