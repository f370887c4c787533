"""Invitations: administrators invite by email with roles; the single-use link sets a password and joins."""

import hashlib
import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.auth.models import Invitation
from app.clock import frozen_at, utcnow
from tests.conftest import PASSWORD, Team
from tests.factories import make_institution, make_user

NEW_PASSWORD = "a brand new passphrase"


def invite(team: Team, email: str = "new.lead@riverside.example", roles: tuple[str, ...] = ("education_lead",),
           client: TestClient | None = None) -> dict[str, object]:
    response = (client or team.clients["administrator"]).post(
        f"/api/institutions/{team.institution.id}/invitations",
        json={"email": email, "full_name": "Noor Haddad", "roles": list(roles)},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def token_of(created: dict[str, object]) -> str:
    return str(created["link"]).rsplit("/invitations/", 1)[1]


def accept(client: TestClient, token: str, password: str = NEW_PASSWORD, **extra: str) -> TestClient:
    client.post("/api/invitations/accept", json={"token": token, "password": password, **extra})
    return client


def test_an_invited_person_sets_a_password_and_is_logged_in_with_the_roles(
    team: Team, anonymous: TestClient, session: Session
) -> None:
    created = invite(team)
    assert created["state"] == "pending" and created["roles"] == ["education_lead"]
    assert str(created["link"]).startswith("http://testserver/invitations/")
    token = token_of(created)
    stored = session.scalars(select(Invitation)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in stored.token_hash
    assert timedelta(days=6, hours=23) < stored.expires_at - utcnow() <= timedelta(days=7)

    response = anonymous.post("/api/invitations/accept", json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["user"]["full_name"] == "Noor Haddad"
    assert "gtready_session=" in response.headers["set-cookie"]
    assert anonymous.get("/api/auth/me").json()["email"] == "new.lead@riverside.example"
    members = team.clients["administrator"].get(f"/api/institutions/{team.institution.id}/members").json()
    assert {"email": "new.lead@riverside.example", "roles": ["education_lead"]}.items() <= next(
        m for m in members if m["email"] == "new.lead@riverside.example").items()
    listed = team.clients["administrator"].get(f"/api/institutions/{team.institution.id}/invitations").json()
    assert [(i["email"], i["state"]) for i in listed] == [("new.lead@riverside.example", "accepted")]
    assert "link" not in listed[0] and "token" not in json.dumps(listed)
    fresh = TestClient(anonymous.app)
    login = fresh.post("/api/auth/login", json={"email": "new.lead@riverside.example", "password": NEW_PASSWORD})
    assert login.status_code == 200


def test_the_person_may_choose_their_own_name(team: Team, anonymous: TestClient) -> None:
    token = token_of(invite(team))
    accept(anonymous, token, full_name="Noor Al-Haddad")
    assert anonymous.get("/api/auth/me").json()["full_name"] == "Noor Al-Haddad"


def test_only_administrators_invite_list_and_revoke(team: Team) -> None:
    url = f"/api/institutions/{team.institution.id}/invitations"
    body = {"email": "someone@riverside.example", "full_name": "Someone", "roles": ["viewer"]}
    for role in ("champion", "viewer", "education_lead"):
        denied = team.clients[role].post(url, json=body)
        assert denied.status_code == 403 and denied.json()["required_roles"] == ["administrator"], role
        assert team.clients[role].get(url).status_code == 403
    created = invite(team)
    assert team.clients["champion"].delete(f"/api/invitations/{created['id']}").status_code == 403
    assert team.clients["administrator"].get(url).json()[0]["state"] == "pending"


def test_another_institution_cannot_see_or_touch_invitations(team: Team, outsider: TestClient) -> None:
    url = f"/api/institutions/{team.institution.id}/invitations"
    created = invite(team)
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, json={"email": "x@y.org", "full_name": "X", "roles": ["viewer"]}).status_code == 404
    refused = outsider.delete(f"/api/invitations/{created['id']}")
    assert refused.status_code == 404 and refused.json()["detail"] == "invitation not found"


def test_a_used_invitation_answers_410_and_cannot_be_used_again(team: Team, anonymous: TestClient) -> None:
    token = token_of(invite(team))
    assert anonymous.post("/api/invitations/accept", json={"token": token, "password": NEW_PASSWORD}).is_success
    again = TestClient(anonymous.app).post(
        "/api/invitations/accept", json={"token": token, "password": "another passphrase here"}
    )
    assert again.status_code == 410 and "already used" in again.json()["detail"]


def test_an_expired_invitation_answers_410_saying_when_it_expired(team: Team, anonymous: TestClient) -> None:
    with frozen_at(utcnow() - timedelta(days=8)):
        token = token_of(invite(team))
    response = anonymous.post("/api/invitations/accept", json={"token": token, "password": NEW_PASSWORD})
    assert response.status_code == 410 and "expired on" in response.json()["detail"]
    listed = team.clients["administrator"].get(f"/api/institutions/{team.institution.id}/invitations").json()
    assert listed[0]["state"] == "expired"
    assert anonymous.get("/api/auth/me").status_code == 401


def test_a_revoked_invitation_answers_410_and_revoking_twice_409(team: Team, anonymous: TestClient) -> None:
    created = invite(team)
    revoked = team.clients["administrator"].delete(f"/api/invitations/{created['id']}")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    response = anonymous.post("/api/invitations/accept", json={"token": token_of(created), "password": NEW_PASSWORD})
    assert response.status_code == 410 and "withdrawn" in response.json()["detail"]
    twice = team.clients["administrator"].delete(f"/api/invitations/{created['id']}")
    assert twice.status_code == 409 and "revoked" in twice.json()["detail"]


def test_an_unknown_token_answers_404(team: Team, anonymous: TestClient) -> None:
    response = anonymous.post("/api/invitations/accept", json={"token": "not-a-real-token", "password": NEW_PASSWORD})
    assert response.status_code == 404 and "not valid" in response.json()["detail"]


def test_a_short_password_answers_422_naming_the_field_and_keeps_the_invitation(
    team: Team, anonymous: TestClient
) -> None:
    token = token_of(invite(team))
    response = anonymous.post("/api/invitations/accept", json={"token": token, "password": "short"})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "password"] and "at least 12 characters" in error["msg"]
    assert anonymous.post("/api/invitations/accept", json={"token": token, "password": NEW_PASSWORD}).is_success


def test_bad_invitation_input_answers_422_naming_the_field(team: Team) -> None:
    url = f"/api/institutions/{team.institution.id}/invitations"
    admin = team.clients["administrator"]
    for body, field in (({"email": "not an email", "full_name": "A", "roles": ["viewer"]}, "email"),
                        ({"email": "a@b.org", "full_name": "A", "roles": []}, "roles"),
                        ({"email": "a@b.org", "full_name": "A", "roles": ["surgeon"]}, "roles"),
                        ({"email": "a@b.org", "full_name": "  ", "roles": ["viewer"]}, "full_name")):
        response = admin.post(url, json=body)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][1] == field, body


def test_a_second_pending_invitation_to_the_same_email_is_refused(team: Team) -> None:
    invite(team, "twice@riverside.example")
    response = team.clients["administrator"].post(
        f"/api/institutions/{team.institution.id}/invitations",
        json={"email": "Twice@Riverside.example", "full_name": "Twice", "roles": ["viewer"]},
    )
    assert response.status_code == 409 and "pending invitation" in response.json()["detail"]


def test_inviting_someone_who_already_holds_the_roles_is_refused(team: Team) -> None:
    response = team.clients["administrator"].post(
        f"/api/institutions/{team.institution.id}/invitations",
        json={"email": "viewer@riverside.example", "full_name": "Viewer", "roles": ["viewer"]},
    )
    assert response.status_code == 409 and "already holds" in response.json()["detail"]


def test_an_existing_account_needs_its_own_password_and_keeps_it(
    team: Team, anonymous: TestClient, session: Session
) -> None:
    elsewhere = make_institution(session, "Lakeside Children's")
    make_user(session, elsewhere, roles=("champion",), email="dana@lakeside.example", full_name="Dana Reyes",
              password=PASSWORD)
    token = token_of(invite(team, "dana@lakeside.example", roles=("finance_lead", "viewer")))
    wrong = anonymous.post("/api/invitations/accept", json={"token": token, "password": NEW_PASSWORD})
    assert wrong.status_code == 401 and anonymous.get("/api/auth/me").status_code == 401
    right = anonymous.post("/api/invitations/accept", json={"token": token, "password": PASSWORD,
                                                            "full_name": "Someone Else"})
    assert right.status_code == 200 and right.json()["user"]["full_name"] == "Dana Reyes"
    members = team.clients["administrator"].get(f"/api/institutions/{team.institution.id}/members").json()
    assert next(m for m in members if m["email"] == "dana@lakeside.example")["roles"] == ["finance_lead", "viewer"]
    again = TestClient(anonymous.app).post("/api/auth/login", json={"email": "dana@lakeside.example",
                                                                   "password": PASSWORD})
    assert again.status_code == 200


def test_creating_revoking_and_accepting_invitations_is_audited_without_the_token(
    team: Team, anonymous: TestClient, session: Session
) -> None:
    revoked = invite(team, "first@riverside.example")
    team.clients["administrator"].delete(f"/api/invitations/{revoked['id']}")
    created = invite(team, "second@riverside.example", roles=("pharmacy_lead", "viewer"))
    accept(anonymous, token_of(created))
    events = session.scalars(
        select(AuditEvent).where(col(AuditEvent.institution_id) == team.institution.id).order_by(col(AuditEvent.seq))
    ).all()
    trail = [(e.action, e.entity_key, e.actor_name) for e in events if e.entity in ("invitation", "membership")]
    assert trail == [
        ("invitation.created", "first@riverside.example", "Administrator"),
        ("invitation.revoked", "first@riverside.example", "Administrator"),
        ("invitation.created", "second@riverside.example", "Administrator"),
        ("membership.roles_granted", "second@riverside.example", "Noor Haddad"),
        ("invitation.accepted", "second@riverside.example", "Noor Haddad"),
    ]
    granted = next(e for e in events if e.action == "membership.roles_granted")
    assert granted.before == {"roles": []} and granted.after == {"roles": ["pharmacy_lead", "viewer"]}
    everything = json.dumps([[e.before, e.after] for e in events])
    for token in (token_of(revoked), token_of(created)):
        assert token not in everything
    assert verify_chain(session).valid
