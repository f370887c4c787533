"""Electronic signatures by people who sign in with SSO: a fresh sign-in at the provider (prompt=login,
max_age=0) whose auth_time is recent and whose nonce matches the pending signature; the record says so. Also
the institution mapping routes' access rules, and a token signed with a key the provider does not publish."""

import html
import re
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.auth.service import user_with_email
from app.clock import today
from app.main import create_app
from tests.conftest import PASSWORD, Team
from tests.signoffs.test_chains import KEY, committee, give_chain
from tests.signoffs.test_signoff_rules import attach, mark_done
from tests.sso.conftest import (
    MockProvider,
    RogueProvider,
    callback_path,
    query_of,
    sign_in,
    sso_settings,
    start,
)

EMAIL = "pat@riverside.example"


def _map(team: Team, client: TestClient) -> None:
    client.put(f"/api/institutions/{team.institution.id}/sso", json={
        "rules": [{"email_domain": "riverside.example"}],
        "group_roles": [{"group": "gt-policy", "role": "policy_lead"}],
    }).raise_for_status()


def _sso_person(team: Team, client: TestClient, provider: MockProvider, browser: TestClient, session: Session) -> User:
    _map(team, client)
    assert sign_in(browser, provider, "pat-1", email=EMAIL, name="Pat Policy", groups=["gt-policy"]).status_code == 303
    user = user_with_email(session, EMAIL)
    assert user is not None
    return user


def _start_web_signature(team: Team, browser: TestClient, key: str, version: int) -> str:
    page = browser.get(f"/programs/{team.program.id}/items/{key}")
    assert f'action="/programs/{team.program.id}/items/{key}/signoff/sso"' in page.text
    assert 'name="password"' not in page.text.split("Sign off as")[1].split("</form>")[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    answer = browser.post(f"/programs/{team.program.id}/items/{key}/signoff/sso", follow_redirects=False,
                          data={"meaning": "approved", "version": str(version), "statement": "Reviewed with IT",
                                "csrf_token": csrf.group(1)})
    assert answer.status_code == 200, answer.text[:500]  # a page that sends the browser on (the CSP: no redirect)
    sent = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', answer.text)
    assert sent and f'href="{sent.group(1)}"' in answer.text
    return html.unescape(sent.group(1))


def test_an_sso_signature_needs_a_fresh_sign_in_at_the_provider(
    team: Team, client: TestClient, mock_provider: MockProvider, anonymous: TestClient, session: Session,
) -> None:
    _sso_person(team, client, mock_provider, anonymous, session)
    version = mark_done(team, "POL-002")
    authorize = _start_web_signature(team, anonymous, "POL-002", version)
    query = query_of(authorize)
    assert query["prompt"] == "login" and query["max_age"] == "0" and query["nonce"]
    mock_provider.set_user("pat-1", email=EMAIL, groups=["gt-policy"])  # auth_time: now, at this sign-in
    answer = anonymous.get(callback_path(mock_provider.authorize(authorize, "pat-1")), follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/programs/{team.program.id}/items/POL-002?done=signed"
    [record] = client.get(team.url("/signoffs?item=POL-002")).json()
    assert record["auth_method"] == "sso" and record["signer_name"] == "Pat Policy"
    assert record["statement"] == "Reviewed with IT"


def test_an_old_auth_time_is_refused_and_nothing_is_signed(
    team: Team, client: TestClient, mock_provider: MockProvider, anonymous: TestClient, session: Session,
) -> None:
    _sso_person(team, client, mock_provider, anonymous, session)
    version = mark_done(team, "POL-002")
    authorize = _start_web_signature(team, anonymous, "POL-002", version)
    mock_provider.set_user("pat-1", email=EMAIL, groups=["gt-policy"], auth_time=int(time.time()) - 20 * 60)
    answer = anonymous.get(callback_path(mock_provider.authorize(authorize, "pat-1")), follow_redirects=False)
    assert answer.status_code == 400
    assert "20 minutes ago; a signature needs a sign-in within the last 5 minutes" in answer.text
    assert client.get(team.url("/signoffs?item=POL-002")).json() == []


def test_someone_else_at_the_provider_cannot_confirm_the_signature(
    team: Team, client: TestClient, mock_provider: MockProvider, anonymous: TestClient, session: Session,
) -> None:
    _sso_person(team, client, mock_provider, anonymous, session)
    version = mark_done(team, "POL-002")
    authorize = _start_web_signature(team, anonymous, "POL-002", version)
    mock_provider.set_user("mallory", email="mallory@riverside.example", groups=["gt-policy"])
    answer = anonymous.get(callback_path(mock_provider.authorize(authorize, "mallory")), follow_redirects=False)
    assert answer.status_code == 400 and "someone other than Pat Policy" in answer.text
    assert client.get(team.url("/signoffs?item=POL-002")).json() == []


def test_the_api_signs_with_a_single_use_signing_grant(
    team: Team, client: TestClient, mock_provider: MockProvider, anonymous: TestClient, session: Session,
    client_for: object,
) -> None:
    user = _sso_person(team, client, mock_provider, anonymous, session)
    api = client_for(user)  # type: ignore[operator]
    version = mark_done(team, "POL-002")
    body = {"meaning": "approved", "version": version}
    assert api.post(team.url("/items/POL-002/signoffs"), json=body | {"password": "guess"}).status_code == 401
    created = api.post("/api/sso/signing-grants")
    assert created.status_code == 201, created.text
    grant = created.json()
    unconfirmed = api.post(team.url("/items/POL-002/signoffs"), json=body | {"signing_grant": grant["signing_grant"]})
    assert unconfirmed.status_code == 401 and "not confirmed yet" in unconfirmed.json()["detail"]
    mock_provider.set_user("pat-1", email=EMAIL, groups=["gt-policy"])
    back = anonymous.get(callback_path(mock_provider.authorize(grant["url"], "pat-1")), follow_redirects=False)
    assert back.headers["location"] == "/auth/sso/confirmed"
    signed = api.post(team.url("/items/POL-002/signoffs"), json=body | {"signing_grant": grant["signing_grant"]})
    assert signed.status_code == 201, signed.text
    assert signed.json()["auth_method"] == "sso"
    again = api.post(team.url("/items/POL-002/signoffs"), json=body | {"signing_grant": grant["signing_grant"]})
    assert again.status_code == 401 and "already used" in again.json()["detail"]


def test_password_signers_cannot_ask_for_a_signing_grant_and_their_record_says_password(
    team: Team, client: TestClient,
) -> None:
    policy = team.clients["policy_lead"]
    assert policy.post("/api/sso/signing-grants").status_code == 409
    version = mark_done(team, "POL-002")
    signed = policy.post(team.url("/items/POL-002/signoffs"),
                         json={"password": "a long demo passphrase", "meaning": "approved", "version": version})
    assert signed.status_code == 201 and signed.json()["auth_method"] == "password"


def test_the_institution_mapping_is_for_its_administrators_only(
    team: Team, outsider: TestClient,
) -> None:
    url = f"/api/institutions/{team.institution.id}/sso"
    body = {"rules": [{"email_domain": "riverside.example", "require_sso": True}],
            "group_roles": [{"group": "gt-admins", "role": "administrator"}]}
    assert outsider.get(url).status_code == 404
    assert outsider.put(url, json=body).status_code == 404
    refused = team.clients["champion"].put(url, json=body)
    assert refused.status_code == 403 and "administrator" in refused.json()["detail"]
    admin = team.clients["administrator"]
    expected = {"rules": [{"email_domain": "riverside.example", "claim": None, "value": None, "require_sso": True}],
                "group_roles": [{"group": "gt-admins", "role": "administrator"}]}
    assert admin.put(url, json=body).json() == expected
    assert admin.get(url).json() == expected
    bad = admin.put(url, json={"rules": [{"email_domain": "x.org", "claim": "tid", "value": "1"}]})
    assert bad.status_code == 422


def test_an_id_token_signed_with_a_key_the_provider_does_not_publish_is_refused(
    template_url: str, tmp_path: Path, checklists_dir: Path, rogue_provider: RogueProvider,
) -> None:
    app = create_app(sso_settings(template_url, tmp_path, checklists_dir, rogue_provider.issuer))
    try:
        with TestClient(app) as browser:
            query = query_of(start(browser))
            rogue_provider.claims = {"nonce": query["nonce"], "email": "x@nowhere.example"}
            refused = browser.get(f"/auth/sso/callback?state={query['state']}&code=c", follow_redirects=False)
            assert refused.status_code == 400 and "signature does not match" in refused.text
            # The same token signed with the published key gets past the signature (to the next check).
            rogue_provider.signing = rogue_provider.published
            query = query_of(start(browser))
            rogue_provider.claims = {"nonce": query["nonce"], "email": "x@nowhere.example"}
            passed = browser.get(f"/auth/sso/callback?state={query['state']}&code=c", follow_redirects=False)
            assert passed.status_code == 403 and "No institution in gtready accepts people from nowhere" in passed.text
    finally:
        app.state.engine.dispose()


def test_a_signing_grant_expires_five_minutes_after_the_provider_confirmed_it(
    team: Team, client: TestClient, mock_provider: MockProvider, anonymous: TestClient, session: Session,
    client_for: object,
) -> None:
    from datetime import timedelta

    from app.clock import frozen_at, utcnow

    api = client_for(_sso_person(team, client, mock_provider, anonymous, session))  # type: ignore[operator]
    version = mark_done(team, "POL-002")
    grant = api.post("/api/sso/signing-grants").json()
    mock_provider.set_user("pat-1", email=EMAIL, groups=["gt-policy"])
    anonymous.get(callback_path(mock_provider.authorize(grant["url"], "pat-1")), follow_redirects=False)
    body = {"meaning": "approved", "version": version, "signing_grant": grant["signing_grant"]}
    with frozen_at(utcnow() + timedelta(minutes=6)):
        late = api.post(team.url("/items/POL-002/signoffs"), json=body)
    assert late.status_code == 401 and "expired" in late.json()["detail"]


def test_a_committee_member_signs_a_chain_step_with_sso_stating_the_meeting(
    team: Team, client: TestClient, mock_provider: MockProvider, anonymous: TestClient, session: Session,
) -> None:
    pat = _sso_person(team, client, mock_provider, anonymous, session)
    give_chain(session, team)
    committee(session, team, "pt", "Pharmacy and therapeutics committee", pat)
    attach(team, KEY, "committee_approval")
    version = mark_done(team, KEY)
    author = team.clients["policy_lead"].post(team.url(f"/items/{KEY}/signoffs"), json={
        "meaning": "authored", "version": version, "password": PASSWORD, "step": 1})
    assert author.status_code == 201, author.text
    page = anonymous.get(f"/programs/{team.program.id}/items/{KEY}").text
    assert "Sign step 2 of 3" in page and 'id="meeting_date"' in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    version = client.get(team.url(f"/items/{KEY}")).json()["version"]
    form = {"meaning": "approved", "version": str(version), "step": "2", "committee": "pt", "csrf_token": csrf.group(1)}
    not_a_date = anonymous.post(f"/programs/{team.program.id}/items/{KEY}/signoff/sso",
                                data=form | {"meeting_date": "last Tuesday"})
    assert not_a_date.status_code == 422 and "The meeting date is not a date" in not_a_date.text
    meeting = str(today() - timedelta(days=1))
    started = anonymous.post(f"/programs/{team.program.id}/items/{KEY}/signoff/sso",
                             data=form | {"meeting_date": meeting})
    sent = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', started.text)
    assert started.status_code == 200 and sent
    mock_provider.set_user("pat-1", email=EMAIL, groups=["gt-policy"])
    answer = anonymous.get(callback_path(mock_provider.authorize(html.unescape(sent.group(1)), "pat-1")),
                           follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith("?done=signed"), answer.text[:400]
    records = client.get(team.url(f"/signoffs?item={KEY}")).json()
    step_two = [r for r in records if r["step"] == 2]
    assert len(step_two) == 1 and step_two[0]["auth_method"] == "sso"
    assert step_two[0]["on_behalf_of_committee"] and step_two[0]["meeting_date"] == meeting
