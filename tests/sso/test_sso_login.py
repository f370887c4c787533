"""Signing in through a real OpenID Connect provider: just-in-time accounts, roles from directory groups,
synchronised at every sign-in, and each way a sign-in fails said in plain words (never a 500)."""

import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.auth.models import AuthSession, User
from app.auth.roles import Role
from app.auth.service import roles_in, user_with_email
from app.clock import utcnow
from app.main import create_app
from app.programs.models import Institution
from tests.conftest import PASSWORD
from tests.factories import make_user
from tests.sso.conftest import MockProvider, callback_path, free_port, query_of, sign_in, sso_settings, start


def test_login_page_offers_the_provider_by_name(anonymous: TestClient) -> None:
    page = anonymous.get("/login")
    assert "Sign in with Riverside ID" in page.text
    assert 'href="/auth/sso/login?next=' in page.text


def test_the_authorization_request_uses_pkce_state_and_nonce(
    anonymous: TestClient, mock_provider: MockProvider,
) -> None:
    query = query_of(start(anonymous))
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
    assert query["state"] and query["nonce"] and query["client_id"] == "gtready-tests"
    assert query["redirect_uri"] == "http://testserver/auth/sso/callback"
    assert set(query["scope"].split()) == {"openid", "email", "profile"}


def test_first_sign_in_creates_the_person_with_the_roles_their_groups_map_to(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution, session: Session,
) -> None:
    answer = sign_in(anonymous, mock_provider, "ada-1", email="Ada@Riverside.example", name="Ada Lovelace",
                     groups=["gt-pharmacy", "gt-viewers", "unmapped"])
    assert answer.status_code == 303 and answer.headers["location"] == "/programs"
    user = user_with_email(session, "ada@riverside.example")
    assert user is not None and user.full_name == "Ada Lovelace" and user.password_hash is None
    assert roles_in(session, user, riverside.id) == {Role.PHARMACY_LEAD, Role.VIEWER}
    actions = set(session.scalars(select(AuditEvent.action).where(col(AuditEvent.entity_key) == user.email)))
    assert {"user.created_by_sso", "membership.roles_granted", "user.signed_in_by_sso"} <= actions
    assert anonymous.get("/api/auth/me").json()["email"] == "ada@riverside.example"


def test_sso_sessions_end_at_the_configured_maximum_age(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution, session: Session, app: FastAPI,
) -> None:
    sign_in(anonymous, mock_provider, "max-1", email="max@riverside.example", groups=["gt-viewers"])
    user = user_with_email(session, "max@riverside.example")
    assert user is not None
    record = session.scalars(select(AuthSession).where(col(AuthSession.user_id) == user.id)).one()
    lifetime = (record.expires_at - utcnow()).total_seconds()
    assert app.state.settings.oidc_session_max_age - 60 < lifetime <= app.state.settings.oidc_session_max_age


def test_roles_follow_the_groups_at_the_next_sign_in(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution, session: Session,
) -> None:
    sign_in(anonymous, mock_provider, "bo-1", email="bo@riverside.example", groups=["gt-pharmacy", "gt-champions"])
    user = user_with_email(session, "bo@riverside.example")
    assert user is not None
    # A role granted by hand, which no group maps to, is not the directory's to remove.
    make_policy = session.get(User, user.id)
    assert make_policy is not None
    from app.auth.service import grant_roles
    grant_roles(session, None, riverside.id, make_policy, [Role.POLICY_LEAD])

    answer = sign_in(anonymous, mock_provider, "bo-1", email="bo@riverside.example", groups=["gt-champions"])
    assert answer.status_code == 303
    session.expire_all()
    assert roles_in(session, user, riverside.id) == {Role.CHAMPION, Role.POLICY_LEAD}
    revoked = session.scalars(select(AuditEvent).where(col(AuditEvent.action) == "membership.role_revoked")).all()
    assert [e.after["by"] for e in revoked] == ["sso"]
    assert revoked[0].before["roles"] == ["champion", "pharmacy_lead", "policy_lead"]


def test_losing_every_mapped_group_refuses_the_sign_in_and_removes_the_roles(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution, session: Session,
) -> None:
    sign_in(anonymous, mock_provider, "cy-1", email="cy@riverside.example", groups=["gt-viewers"])
    second = TestClient(anonymous.app)
    answer = sign_in(second, mock_provider, "cy-1", email="cy@riverside.example", groups=["other"])
    assert answer.status_code == 403
    assert "none of your directory groups (other) is mapped to a gtready role" in answer.text
    assert "no_role" in answer.text
    user = user_with_email(session, "cy@riverside.example")
    assert user is not None and roles_in(session, user, riverside.id) == set()


def test_the_last_administrator_is_never_removed_by_a_sign_in(
    anonymous: TestClient, mock_provider: MockProvider, session: Session, riverside: Institution, client: TestClient,
) -> None:
    client.put(f"/api/institutions/{riverside.id}/sso", json={
        "rules": [{"email_domain": "riverside.example"}],
        "group_roles": [{"group": "gt-admins", "role": "administrator"}, {"group": "gt-viewers", "role": "viewer"}],
    }).raise_for_status()
    admin = user_with_email(session, "admin@riverside.example")
    assert admin is not None
    answer = sign_in(anonymous, mock_provider, "admin-1", email="admin@riverside.example", groups=["gt-viewers"])
    assert answer.status_code == 303
    session.expire_all()
    assert roles_in(session, admin, riverside.id) == {Role.ADMINISTRATOR, Role.VIEWER}
    kept = session.scalars(select(AuditEvent.action).where(col(AuditEvent.action) == "sso.last_administrator_kept"))
    assert list(kept) == ["sso.last_administrator_kept"]


def test_an_email_no_institution_accepts_is_told_so(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution,
) -> None:
    answer = sign_in(anonymous, mock_provider, "eve-1", email="eve@elsewhere.example", groups=["gt-pharmacy"])
    assert answer.status_code == 403
    assert "No institution in gtready accepts people from elsewhere.example" in answer.text
    assert anonymous.get("/api/auth/me").status_code == 401


def test_an_institution_can_be_matched_by_a_claim(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution, client: TestClient, session: Session,
) -> None:
    client.put(f"/api/institutions/{riverside.id}/sso", json={
        "rules": [{"claim": "tid", "value": "tenant-42"}], "group_roles": [{"group": "gt-viewers", "role": "viewer"}],
    }).raise_for_status()
    answer = sign_in(anonymous, mock_provider, "dee-1", email="dee@gmail.example", tid="tenant-42",
                     groups=["gt-viewers"])
    assert answer.status_code == 303
    user = user_with_email(session, "dee@gmail.example")
    assert user is not None and roles_in(session, user, riverside.id) == {Role.VIEWER}


def test_a_replayed_callback_is_refused(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution,
) -> None:
    mock_provider.set_user("fay-1", email="fay@riverside.example", groups=["gt-viewers"])
    callback = callback_path(mock_provider.authorize(start(anonymous), "fay-1"))
    assert anonymous.get(callback, follow_redirects=False).status_code == 303
    again = TestClient(anonymous.app).get(callback, follow_redirects=False)
    assert again.status_code == 400
    assert "already used" in again.text and "replayed" in again.text


def test_a_code_carried_to_another_sign_in_is_refused_by_its_nonce(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution,
) -> None:
    mock_provider.set_user("gus-1", email="gus@riverside.example", groups=["gt-viewers"])
    first = query_of(mock_provider.authorize(start(anonymous), "gus-1"))
    second = query_of(start(anonymous))
    answer = anonymous.get(f"/auth/sso/callback?state={second['state']}&code={first['code']}",
                           follow_redirects=False)
    assert answer.status_code == 400
    assert "nonce does not match" in answer.text
    assert anonymous.get("/api/auth/me").status_code == 401


def test_a_token_from_another_issuer_is_refused(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution,
) -> None:
    answer = sign_in(anonymous, mock_provider, "hal-1", email="hal@riverside.example", groups=["gt-viewers"],
                     iss="https://login.attacker.example")
    assert answer.status_code == 400
    assert "issued by &#39;https://login.attacker.example&#39;, not by the configured provider" in answer.text


def test_a_token_for_another_client_is_refused(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution,
) -> None:
    answer = sign_in(anonymous, mock_provider, "ian-1", email="ian@riverside.example", groups=["gt-viewers"],
                     aud="some-other-app")
    assert answer.status_code == 400
    assert "not for gtready&#39;s client id" in answer.text and "wrong_audience" in answer.text


def test_an_expired_token_is_refused_naming_clock_skew(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution,
) -> None:
    past = int(time.time()) - 3600
    answer = sign_in(anonymous, mock_provider, "jo-1", email="jo@riverside.example", groups=["gt-viewers"],
                     exp=past, iat=past - 300)
    assert answer.status_code == 400
    assert "had already expired" in answer.text and "clock skew" in answer.text


def test_a_token_issued_in_the_future_is_refused_as_clock_skew(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution,
) -> None:
    answer = sign_in(anonymous, mock_provider, "kim-1", email="kim@riverside.example", groups=["gt-viewers"],
                     iat=int(time.time()) + 900, exp=int(time.time()) + 1800)
    assert answer.status_code == 400 and "clock_skew" in answer.text


def test_a_provider_that_is_down_is_a_plain_message(
    template_url: str, tmp_path: Path, checklists_dir: Path,
) -> None:
    app = create_app(sso_settings(template_url, tmp_path, checklists_dir, f"http://127.0.0.1:{free_port()}"))
    try:
        with TestClient(app) as client:
            answer = client.get("/auth/sso/login", follow_redirects=False)
            assert answer.status_code == 502
            assert "could not reach the sign-in provider at 127.0.0.1" in answer.text
            callback = client.get("/auth/sso/callback?state=x&code=y")
            assert callback.status_code == 400 and "replayed" in callback.text
    finally:
        app.state.engine.dispose()


def test_require_sso_refuses_password_login_but_not_the_superuser(
    anonymous: TestClient, riverside: Institution, session: Session, client: TestClient, superuser: User,
) -> None:
    make_user(session, riverside, roles=("champion",), email="local@riverside.example", password=PASSWORD)
    assert anonymous.post("/api/auth/login", json={"email": "local@riverside.example",
                                                   "password": PASSWORD}).status_code == 200
    client.put(f"/api/institutions/{riverside.id}/sso", json={
        "rules": [{"email_domain": "riverside.example", "require_sso": True}], "group_roles": [],
    }).raise_for_status()
    with TestClient(anonymous.app) as fresh:
        refused = fresh.post("/api/auth/login", json={"email": "local@riverside.example", "password": PASSWORD})
        assert refused.status_code == 403
        assert "Riverside University Hospital requires single sign-on" in refused.json()["detail"]
        page = fresh.post("/login", data={"email": "local@riverside.example", "password": PASSWORD},
                          follow_redirects=False)
        assert page.status_code == 403 and "Sign in with Riverside ID" in page.text
        assert fresh.post("/api/auth/login", json={"email": "root@example.org",
                                                   "password": "correct horse battery staple"}).status_code == 200


def test_a_round_trip_older_than_ten_minutes_is_refused(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution,
) -> None:
    from datetime import timedelta

    from app.clock import frozen_at

    mock_provider.set_user("old-1", email="old@riverside.example", groups=["gt-viewers"])
    callback = callback_path(mock_provider.authorize(start(anonymous), "old-1"))
    with frozen_at(utcnow() + timedelta(minutes=11)):
        answer = anonymous.get(callback, follow_redirects=False)
    assert answer.status_code == 400 and "took longer than 10 minutes" in answer.text


def test_a_callback_opened_in_another_browser_signs_no_one_in(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution,
) -> None:
    """Login CSRF: an attacker's own callback link, sent to a victim, must not sign the victim in as the attacker."""
    mock_provider.set_user("att-1", email="attacker@riverside.example", groups=["gt-viewers"])
    callback = callback_path(mock_provider.authorize(start(anonymous), "att-1"))
    with TestClient(anonymous.app) as victim:
        answer = victim.get(callback, follow_redirects=False)
        assert answer.status_code == 400 and "started in another browser" in answer.text
        assert victim.get("/api/auth/me").status_code == 401


def test_an_email_the_provider_says_is_unverified_is_refused(
    anonymous: TestClient, mock_provider: MockProvider, riverside: Institution,
) -> None:
    answer = sign_in(anonymous, mock_provider, "unv-1", email="admin@riverside.example", email_verified=False,
                     groups=["gt-viewers"])
    assert answer.status_code == 403 and "not verified" in answer.text
    assert anonymous.get("/api/auth/me").status_code == 401
