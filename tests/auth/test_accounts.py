"""Logging in, sessions, API tokens and login throttling."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Team


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, object]:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    return {"status": response.status_code, "body": response.json(), "cookie": response.headers.get("set-cookie")}


def test_login_sets_an_httponly_session_cookie_and_logout_ends_it(team: Team, anonymous: TestClient) -> None:
    result = login(anonymous, "champion@riverside.example")
    assert result["status"] == 200
    cookie = str(result["cookie"]).lower()
    assert "gtready_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert anonymous.get("/api/auth/me").json()["email"] == "champion@riverside.example"
    csrf = result["body"]["csrf_token"]  # type: ignore[index]
    assert anonymous.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert anonymous.get("/api/auth/me").status_code == 401


def test_unknown_account_and_wrong_password_answer_alike(team: Team, anonymous: TestClient) -> None:
    wrong = login(anonymous, "champion@riverside.example", "not it")
    unknown = login(anonymous, "nobody@riverside.example", "not it")
    assert wrong["status"] == unknown["status"] == 401
    assert wrong["body"] == unknown["body"] == {"detail": "email or password is incorrect"}


def test_repeated_failures_lock_the_email_even_with_the_right_password(team: Team, anonymous: TestClient) -> None:
    for _ in range(5):
        assert login(anonymous, "pharmacy_lead@riverside.example", "guess")["status"] == 401
    locked = login(anonymous, "pharmacy_lead@riverside.example")
    assert locked["status"] == 429 and "too many failed logins" in str(locked["body"])
    for _ in range(5):
        login(anonymous, "ghost@riverside.example", "guess")
    assert login(anonymous, "ghost@riverside.example", "guess")["status"] == 429  # no hint it does not exist
    assert login(anonymous, "policy_lead@riverside.example")["status"] == 200  # others are unaffected


def test_cookie_writes_need_the_csrf_token(team: Team, anonymous: TestClient) -> None:
    csrf = login(anonymous, "champion@riverside.example")["body"]["csrf_token"]  # type: ignore[index]
    body = {"notes": "from the browser", "version": 1}
    refused = anonymous.patch(team.url("/items/PAY-001"), json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert anonymous.patch(team.url("/items/PAY-001"), json=body, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_a_planted_session_cookie_is_never_honoured(app: FastAPI, team: Team) -> None:
    with TestClient(app, cookies={"gtready_session": "chosen-by-an-attacker"}) as client:
        assert client.get("/api/auth/me").status_code == 401
        result = login(client, "champion@riverside.example")
        assert "chosen-by-an-attacker" not in str(result["cookie"])


def test_api_token_is_shown_once_works_and_can_be_revoked(team: Team, anonymous: TestClient) -> None:
    champion = team.clients["champion"]
    created = champion.post("/api/auth/tokens", json={"name": "nightly export"})
    assert created.status_code == 201
    token = created.json()["token"]
    listed = champion.get("/api/auth/tokens").json()
    assert all("token" not in t for t in listed) and created.json()["prefix"] in [t["prefix"] for t in listed]
    bearer = {"Authorization": f"Bearer {token}"}
    assert anonymous.get("/api/auth/me", headers=bearer).json()["email"] == "champion@riverside.example"
    assert champion.delete(f"/api/auth/tokens/{created.json()['id']}").json()["revoked_at"] is not None
    assert anonymous.get("/api/auth/me", headers=bearer).status_code == 401


def test_unauthenticated_requests_get_401(team: Team, anonymous: TestClient) -> None:
    response = anonymous.get(team.url("/items"))
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
