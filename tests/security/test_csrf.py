"""Every state-changing web form refuses a post without the session's CSRF token, or with a wrong one: 403, and
nothing changes. The forms come from the app's route table (every non-GET web route), so a new form is covered
the day it appears."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import PASSWORD, Team
from tests.security.conftest import victim_world, web_login
from tests.security.routes import app_routes, differences, form_fields, snapshot

# Forms that work without a session, so there is no session token to echo: logging in (which always issues a
# fresh session, see test_session_fixation), accepting an invitation (whose secret link is the credential), and
# one-click unsubscribe (RFC 8058: mail clients post without cookies; the signed link is the credential and it
# can only turn one kind of email off), and the login's two-factor code page (its credential is the HttpOnly
# half-finished-login cookie the password step set; other sites' posts are refused like the login's). A new one
# must be reviewed before it is added here.
REVIEWED_WITHOUT_SESSION = {"POST /login", "POST /invitations/{token}", "POST /notifications/unsubscribe/{token}",
                            "POST /login/mfa"}


def test_forms_that_work_without_a_session_are_the_reviewed_ones(app: FastAPI) -> None:
    sessionless = {str(r) for r in app_routes(app) if r.is_web and r.method != "GET" and not r.needs_login}
    unreviewed = sessionless - REVIEWED_WITHOUT_SESSION
    assert unreviewed == set(), f"forms working without a session; review them for CSRF: {unreviewed}"


@pytest.mark.parametrize("sent", [None, "", "not-the-token"], ids=["missing", "empty", "wrong"])
def test_every_web_form_refuses_a_post_without_the_right_csrf_token(
    app: FastAPI, session: Session, team: Team, sent: str | None
) -> None:
    world = victim_world(team)
    forms = [r for r in app_routes(app) if r.is_web and r.method != "GET" and r.needs_login]
    assert len(forms) >= 10, "the route table walk found too few web forms"
    for route in forms:  # the records the forms act on exist before the snapshot
        world.path(route)
    with TestClient(app, follow_redirects=False) as browser:
        real_token = web_login(browser, "champion@riverside.example")
        assert sent != real_token
        data_dir = app.state.settings.data_dir
        before = snapshot(app.state.engine, data_dir)
        answers = {}
        for route in forms:
            data, files = form_fields(route, {"csrf_token": sent})
            if sent is None:
                data.pop("csrf_token", None)
            response = browser.request(route.method, world.path(route), data=data, files=files or None)
            answers[str(route)] = (response.status_code, response.text[:120])
        refused = {route: answer for route, answer in answers.items() if answer[0] != 403 or "CSRF" not in answer[1]}
        assert refused == {}, "forms that did not refuse a missing or wrong CSRF token with 403"
        assert differences(before, snapshot(app.state.engine, data_dir)) == []
        # The session itself is intact: the same person, with the right token, can still post.
        still = browser.post("/account/tokens", data={"name": "still works", "csrf_token": real_token})
        assert still.status_code == 201


@pytest.mark.parametrize("headers", [{"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}],
                         ids=["other-origin", "cross-site-fetch"])
def test_sessionless_forms_refuse_a_post_from_another_site(
    app: FastAPI, team: Team, headers: dict[str, str]
) -> None:
    """Login CSRF: another site's page must not log a browser into the attacker's account."""
    client = TestClient(app)
    email = team.people["viewer"].email
    login = client.post("/login", data={"email": email, "password": PASSWORD}, headers=headers,
                        follow_redirects=False)
    assert login.status_code == 403 and "another site" in login.json()["detail"]
    assert "gtready_session" not in login.cookies
    invitation = client.post("/invitations/some-token", data={"password": "x" * 12}, headers=headers)
    assert invitation.status_code == 403
    assert client.post("/login/mfa", data={"code": "123456"}, headers=headers).status_code == 403
    same_site = client.post("/login", data={"email": email, "password": PASSWORD},
                            headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"},
                            follow_redirects=False)
    assert same_site.status_code == 303
