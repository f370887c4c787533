"""Session fixation: whatever session cookie a browser carried before logging in, logging in issues a new one,
and no cookie value an attacker chose or held before is ever authenticated as the person who logged in."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.auth.deps import SESSION_COOKIE
from tests.conftest import PASSWORD, Team
from tests.security.conftest import web_login

VICTIM = "champion@riverside.example"
ATTACKER = "viewer@riverside.example"


def _who(app: FastAPI, cookie: str) -> str | None:
    """The email a session cookie value is authenticated as, if any (a fresh client, nothing else sent)."""
    with TestClient(app, cookies={SESSION_COOKIE: cookie}) as client:
        response = client.get("/api/auth/me")
        return str(response.json()["email"]) if response.status_code == 200 else None


def _browser_with(app: FastAPI, planted: str) -> TestClient:
    """A browser already holding a session cookie for the site (as an attacker could have set it)."""
    browser = TestClient(app, follow_redirects=False)
    browser.cookies.set(SESSION_COOKIE, planted, domain="testserver.local", path="/")
    return browser


def _issued_cookie(response_cookie: str | None) -> str:
    assert response_cookie, "login issued no session cookie"
    return response_cookie


def test_a_cookie_planted_before_login_is_replaced_and_never_authenticated(app: FastAPI, team: Team) -> None:
    planted = "chosen-by-an-attacker-0123456789abcdef"
    with _browser_with(app, planted) as browser:
        assert browser.get("/account").status_code == 303  # the planted value is nobody: off to the login page
        response = browser.post("/login", data={"email": VICTIM, "password": PASSWORD, "next": "/"})
        assert response.status_code == 303
        issued = _issued_cookie(response.cookies.get(SESSION_COOKIE))
        assert issued != planted
        assert browser.cookies.get(SESSION_COOKIE) == issued
        assert browser.get("/account").status_code == 200
    assert _who(app, planted) is None
    assert _who(app, issued) == VICTIM


def test_an_attackers_own_session_planted_in_a_victims_browser_stays_the_attackers(app: FastAPI, team: Team) -> None:
    with TestClient(app, follow_redirects=False) as attacker:
        web_login(attacker, ATTACKER)
        attackers_cookie = str(attacker.cookies.get(SESSION_COOKIE))
    with _browser_with(app, attackers_cookie) as victim:
        response = victim.post("/login", data={"email": VICTIM, "password": PASSWORD, "next": "/"})
        victims_cookie = _issued_cookie(response.cookies.get(SESSION_COOKIE))
    assert victims_cookie != attackers_cookie
    assert _who(app, attackers_cookie) == ATTACKER  # never promoted to the victim's identity
    assert _who(app, victims_cookie) == VICTIM


def test_the_api_login_also_issues_a_new_session_whatever_was_sent(app: FastAPI, team: Team) -> None:
    planted = "planted-api-session-value"
    with _browser_with(app, planted) as client:
        response = client.post("/api/auth/login", json={"email": VICTIM, "password": PASSWORD})
        issued = _issued_cookie(response.cookies.get(SESSION_COOKIE))
    assert issued != planted and _who(app, planted) is None and _who(app, issued) == VICTIM


def test_every_login_is_a_distinct_session_with_its_own_csrf_token(app: FastAPI, team: Team) -> None:
    sessions = set()
    tokens = set()
    for _ in range(3):
        with TestClient(app) as browser:
            tokens.add(web_login(browser, VICTIM))
            sessions.add(browser.cookies.get(SESSION_COOKIE))
    assert len(sessions) == len(tokens) == 3


def test_logging_out_ends_the_session_on_the_server_not_just_in_the_browser(app: FastAPI, team: Team) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        csrf = web_login(browser, VICTIM)
        cookie = str(browser.cookies.get(SESSION_COOKIE))
        assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert _who(app, cookie) is None  # a copy of the cookie taken earlier is worthless now
