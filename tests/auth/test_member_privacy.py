"""An administrator learns nothing about people outside their institution and cannot add them without consent:
a foreign user id is "not found", and adding someone who is not a member goes through an invitation they accept,
answered alike whether or not the email has an account."""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.auth.roles import Role
from tests.conftest import PASSWORD, Team
from tests.factories import make_institution, make_user
from tests.security.routes import app_routes
from tests.web.form_client import as_role

STRANGER_EMAIL = "dana.reyes@lakeside.example"
STRANGER_NAME = "Dana Reyes"


def stranger(session: Session) -> User:
    """A person of another institution on the same server."""
    return make_user(session, make_institution(session, "Lakeside Children's"), roles=("champion",),
                     email=STRANGER_EMAIL, full_name=STRANGER_NAME, password=PASSWORD)


def says_nothing_about_the_stranger(text: str, person: User) -> bool:
    return not any(fact in text for fact in (STRANGER_EMAIL, STRANGER_NAME, "dana.reyes", str(person.id)))


def test_every_member_route_answers_404_for_a_person_of_another_institution(
    app: FastAPI, team: Team, session: Session
) -> None:
    """Walks the route table: every route naming a member of the administrator's own institution by user id."""
    person = stranger(session)
    admin_api = team.clients["administrator"]
    admin_web = as_role(app, team, "administrator")
    admin_web.get(f"/institutions/{team.institution.id}/admin")
    committees = f"/api/institutions/{team.institution.id}/committees"
    committee = admin_api.post(committees, json={"slug": "pt", "name": "P&T"})
    assert committee.status_code == 201, committee.text
    member_routes = [r for r in app_routes(app) if "user_id" in r.path_parameters]
    assert len(member_routes) >= 3, member_routes
    for route in member_routes:
        path = route.path.replace("{institution_id}", str(team.institution.id)).replace("{user_id}", str(person.id))
        path = path.replace("{role}", Role.CHAMPION.value).replace("{slug}", "pt")
        if route.is_api:
            answer = admin_api.request(route.method, path)
        else:
            answer = admin_web.post(path, {"role": Role.VIEWER.value})
        assert answer.status_code == 404, f"{route}: {answer.status_code}"
        assert says_nothing_about_the_stranger(answer.text, person), f"{route}: {answer.text}"
    held = session.scalars(select(col(Membership.role)).where(col(Membership.user_id) == person.id)).all()
    assert held == ["champion"]


def test_adding_someone_by_email_invites_them_alike_whether_or_not_they_have_an_account(
    team: Team, session: Session, anonymous: TestClient
) -> None:
    person = stranger(session)
    url = f"/api/institutions/{team.institution.id}/members"
    admin = team.clients["administrator"]
    existing = admin.post(url, json={"email": STRANGER_EMAIL, "roles": ["finance_lead"]})
    unknown = admin.post(url, json={"email": "nobody.yet@lakeside.example", "roles": ["finance_lead"]})
    assert existing.status_code == unknown.status_code == 202
    assert existing.json().keys() == unknown.json().keys()
    assert existing.json()["state"] == "pending" and existing.json()["roles"] == ["finance_lead"]
    assert existing.json()["full_name"] == "dana.reyes"  # from the email, not the account's name
    assert STRANGER_NAME not in existing.text and str(person.id) not in existing.text
    # Nothing granted yet: the person is not a member until they accept.
    members = admin.get(url).json()
    assert STRANGER_EMAIL not in [m["email"] for m in members]
    token = existing.json()["link"].rsplit("/invitations/", 1)[1]
    accepted = anonymous.post("/api/invitations/accept", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 200
    joined = next(m for m in admin.get(url).json() if m["email"] == STRANGER_EMAIL)
    assert joined["roles"] == ["finance_lead"] and joined["full_name"] == STRANGER_NAME


def test_a_member_is_given_more_roles_directly(team: Team) -> None:
    url = f"/api/institutions/{team.institution.id}/members"
    granted = team.clients["administrator"].post(url, json={"email": "Viewer@Riverside.example",
                                                            "roles": ["education_lead"]})
    assert granted.status_code == 200 and granted.json()["roles"] == ["education_lead", "viewer"]


def test_the_admin_page_invites_alike_whether_or_not_the_email_has_an_account(
    app: FastAPI, team: Team, session: Session
) -> None:
    stranger(session)
    admin = as_role(app, team, "administrator")
    page_url = f"/institutions/{team.institution.id}/admin"

    def invite(email: str) -> str:
        admin.get(page_url)
        page = admin.post(f"{page_url}/invitations", {"email": email, "full_name": "Invited Person",
                                                      "roles": "viewer"})
        assert page.status_code == 201, page.text
        return str(page.text)

    pages = {email: invite(email) for email in (STRANGER_EMAIL, "nobody.yet@lakeside.example")}
    flashes = set()
    for email, page in pages.items():
        assert STRANGER_NAME not in page
        flash = re.search(r'class="flash ok"[^>]*>([^<]*)<', page)
        assert flash is not None
        flashes.add(flash.group(1).replace(email, "EMAIL"))
    assert flashes == {"An invitation was created for Invited Person (EMAIL); send them this link."}
