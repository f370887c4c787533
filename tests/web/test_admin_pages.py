"""Institution administration in the browser: members and roles, invitations, and the invited person joining."""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.auth.invitations import create_invitation, revoke_invitation
from app.auth.models import Invitation
from app.auth.roles import Role
from app.auth.service import user_by_email
from app.programs.models import Institution
from app.programs.schemas import ItemUpdate
from app.programs.service import update_item
from tests.factories import make_institution, make_program, make_user
from tests.web.conftest import PASSWORD, login, screenshot

ADMIN = "admin@riverside.example"
CHAMPION = "champion@riverside.example"
NEW_PASSWORD = "river stone lantern pepper"


def riverside(session: Session) -> Institution:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("administrator",), email=ADMIN, full_name="Taylor Brooks",
              password=PASSWORD)
    make_user(session, institution, roles=("champion",), email=CHAMPION, full_name="Maya Okafor", password=PASSWORD)
    return institution


def web_client(app: FastAPI, email: str = ADMIN) -> tuple[TestClient, str]:
    """A logged-in browser-like client and its CSRF token (read from a page, as a form would)."""
    client = TestClient(app)
    assert client.post("/login", data={"email": email, "password": PASSWORD}, follow_redirects=False).is_redirect
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account").text)
    assert csrf is not None
    return client, csrf.group(1)


def invite(session: Session, institution: Institution, email: str = "noor@riverside.example") -> tuple[Invitation, str]:
    return create_invitation(session, user_by_email(session, ADMIN), institution.id, email, "Noor Haddad",
                             [Role.EDUCATION_LEAD])


def invitation_token(session: Session, institution: Institution, email: str = "noor@riverside.example") -> str:
    return invite(session, institution, email)[1]


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_only_administrators_see_the_link_and_the_page(app: FastAPI, session: Session) -> None:
    institution = riverside(session)
    other = make_institution(session, "Elsewhere General")
    make_user(session, other, roles=("administrator",), email="admin@elsewhere.example", password=PASSWORD)
    admin, _ = web_client(app)
    assert 'href="/admin"' in admin.get("/").text
    page = admin.get("/admin")  # one institution: straight to its page
    assert page.status_code == 200 and "Riverside University Hospital: people and roles" in page.text
    champion, _ = web_client(app, CHAMPION)
    assert 'href="/admin"' not in champion.get("/").text
    refused = champion.get(f"/institutions/{institution.id}/admin")
    assert refused.status_code == 403 and "administrator" in refused.text
    outsider, _ = web_client(app, "admin@elsewhere.example")
    assert outsider.get(f"/institutions/{institution.id}/admin").status_code == 404


def test_the_invite_form_shows_errors_in_place_and_keeps_what_was_typed(app: FastAPI, session: Session) -> None:
    institution = riverside(session)
    admin, csrf = web_client(app)
    url = f"/institutions/{institution.id}/admin/invitations"
    response = admin.post(url, data={"email": "noor at riverside", "full_name": "Noor Haddad", "csrf_token": csrf})
    assert response.status_code == 422
    assert 'value="noor at riverside"' in response.text and 'value="Noor Haddad"' in response.text
    assert 'id="invite-email-error">enter an email address' in response.text
    assert 'id="invite-roles-error">choose at least one role' in response.text
    assert admin.post(url, data={"email": "a@b.org", "full_name": "A", "roles": ["viewer"]}).status_code == 403


def test_a_second_invitation_to_the_same_person_is_refused_at_the_email(app: FastAPI, session: Session) -> None:
    institution = riverside(session)
    invitation_token(session, institution)
    admin, csrf = web_client(app)
    response = admin.post(f"/institutions/{institution.id}/admin/invitations", data={
        "email": "noor@riverside.example", "full_name": "Noor Haddad", "roles": ["viewer"], "csrf_token": csrf})
    assert response.status_code == 409
    assert 'id="invite-email-error">noor@riverside.example already has a pending invitation' in response.text


def test_an_unusable_link_answers_a_clear_page(app: FastAPI, session: Session) -> None:
    institution = riverside(session)
    anonymous = TestClient(app)
    unknown = anonymous.get("/invitations/not-a-token")
    assert unknown.status_code == 404 and "This invitation cannot be used" in unknown.text
    invitation, token = invite(session, institution)
    revoke_invitation(session, user_by_email(session, ADMIN), invitation)
    revoked = anonymous.get(f"/invitations/{token}")
    assert revoked.status_code == 410 and "withdrawn by an administrator" in text_of(revoked.text)
    posted = anonymous.post(f"/invitations/{token}", data={"password": NEW_PASSWORD,
                                                            "password_confirm": NEW_PASSWORD, "full_name": "N"})
    assert posted.status_code == 410 and "gtready_session" not in posted.headers.get("set-cookie", "")


def test_the_join_form_checks_the_password_in_place(app: FastAPI, session: Session) -> None:
    institution = riverside(session)
    token = invitation_token(session, institution)
    anonymous = TestClient(app)
    short = anonymous.post(f"/invitations/{token}", data={"full_name": "Noor A. Haddad", "password": "short",
                                                          "password_confirm": "short"})
    assert short.status_code == 422 and 'value="Noor A. Haddad"' in short.text
    assert 'id="password-error">the password must be at least 12 characters' in short.text
    differ = anonymous.post(f"/invitations/{token}", data={"full_name": "Noor", "password": NEW_PASSWORD,
                                                           "password_confirm": NEW_PASSWORD + "!"})
    assert differ.status_code == 422 and 'id="password_confirm-error">the two passwords differ' in differ.text
    joined = anonymous.post(f"/invitations/{token}", data={"full_name": "Noor A. Haddad", "password": NEW_PASSWORD,
                                                           "password_confirm": NEW_PASSWORD}, follow_redirects=False)
    assert joined.status_code == 303 and joined.headers["location"] == "/queue"
    assert "Noor A. Haddad" in anonymous.get("/queue").text


def test_an_existing_account_confirms_with_its_own_password(app: FastAPI, session: Session) -> None:
    institution = riverside(session)
    make_user(session, make_institution(session), roles=("viewer",), email="dana@lakeside.example",
              full_name="Dana Reyes", password=PASSWORD)
    token = invitation_token(session, institution, "dana@lakeside.example")
    anonymous = TestClient(app)
    page = anonymous.get(f"/invitations/{token}")
    assert "You already have a gtready account" in page.text and 'name="password_confirm"' not in page.text
    wrong = anonymous.post(f"/invitations/{token}", data={"password": "not my password"})
    assert wrong.status_code == 401 and 'id="password-error">that is not the password of this account' in wrong.text
    right = anonymous.post(f"/invitations/{token}", data={"password": PASSWORD}, follow_redirects=False)
    assert right.status_code == 303
    admin, _ = web_client(app)
    row = text_of(admin.get(f"/institutions/{institution.id}/admin").text)
    assert "Dana Reyes dana@lakeside.example Education lead Remove" in row


def test_administrator_invites_an_education_lead_who_joins_and_later_loses_a_role(
    app: FastAPI, session: Session, live_server: str, browser: Browser
) -> None:
    institution = riverside(session)
    program = make_program(session, app.state.catalog, institution)
    update_item(session, program.id, "POL-002", ItemUpdate(status="done"), 1, actor=user_by_email(session, CHAMPION))

    # The administrator invites Noor as education and policy lead, and copies the link.
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    admin.set_default_timeout(15_000)
    login(admin, live_server, ADMIN)
    admin.get_by_role("link", name="Administration").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Riverside University Hospital: people and roles")
    admin.get_by_label("Full name").fill("Noor Haddad")
    admin.get_by_role("button", name="Create invitation").click()  # no email, no role: errors in place
    expect(admin.locator("#invite-email-error")).to_have_text("enter an email address, like name@hospital.org")
    expect(admin.locator("#invite-roles-error")).to_have_text("choose at least one role")
    expect(admin.get_by_label("Full name")).to_have_value("Noor Haddad")
    screenshot(admin, "admin-invitation-errors")
    admin.get_by_label("Email", exact=True).fill("noor@riverside.example")
    admin.get_by_label("Education lead").check()
    admin.get_by_label("Policy lead").check()
    admin.get_by_role("button", name="Create invitation").click()
    expect(admin.get_by_role("status")).to_have_text(
        "An invitation was created for Noor Haddad (noor@riverside.example); send them this link.")
    link = admin.get_by_label("Invitation link", exact=True).input_value()
    assert link.startswith(f"{live_server}/invitations/")
    expect(admin.get_by_role("table", name="Invitations").get_by_role("row", name=re.compile("Noor Haddad"))
           ).to_contain_text("Pending")
    screenshot(admin, "admin-invitation-created")

    # Noor opens the link in her own browser, chooses a password, and lands on her sign-off queue.
    noor = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    noor.set_default_timeout(15_000)
    noor.goto(link)
    expect(noor.get_by_role("heading", level=1)).to_have_text("Join Riverside University Hospital")
    expect(noor.get_by_label("Full name")).to_have_value("Noor Haddad")
    screenshot(noor, "invitation-join")
    noor.get_by_label("Choose a password").fill(NEW_PASSWORD)
    noor.get_by_label("Type the password again").fill(NEW_PASSWORD)
    noor.get_by_role("button", name="Join and log in").click()
    expect(noor.get_by_role("heading", level=1)).to_have_text("My sign-off queue")
    expect(noor.get_by_role("link", name="Noor Haddad")).to_be_visible()
    expect(noor.get_by_role("link", name="POL-002 Annual staff refresher")).to_be_visible()
    screenshot(noor, "invitation-joined-queue")
    noor.goto(link)  # the link was used up
    expect(noor.get_by_role("alert")).to_contain_text("already used")
    screenshot(noor, "invitation-used")

    # The administrator sees Noor as a member and removes the policy lead role.
    admin.goto(f"{live_server}/institutions/{institution.id}/admin")
    expect(admin.get_by_role("table", name="Invitations").get_by_role("row", name=re.compile("Noor Haddad"))
           ).to_contain_text("Accepted")
    admin.get_by_role("link", name="Remove Policy lead from Noor Haddad").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Remove the role Policy lead from Noor Haddad?")
    screenshot(admin, "admin-confirm-role-removal")
    admin.get_by_role("button", name="Remove role").click()
    expect(admin.get_by_role("status")).to_have_text("Role removed.")
    member = admin.get_by_role("table", name="Members").get_by_role("row", name=re.compile("Noor Haddad"))
    expect(member.locator(".role-chip")).to_have_count(1)
    expect(member.locator(".role-chip")).to_contain_text("Education lead")
    expect(admin.get_by_role("link", name="Remove Policy lead from Noor Haddad")).to_have_count(0)
    screenshot(admin, "admin-role-removed")
    noor.goto(f"{live_server}/queue")
    expect(noor.get_by_text("Nothing waits for your signature.")).to_be_visible()

    actions = list(session.scalars(select(AuditEvent.action).where(
        col(AuditEvent.institution_id) == institution.id, col(AuditEvent.entity).in_(["invitation", "membership"])
    ).order_by(col(AuditEvent.seq))))
    assert actions == ["invitation.created", "membership.roles_granted", "invitation.accepted",
                       "membership.role_revoked"]
    for page in (admin, noor):
        page.context.close()
