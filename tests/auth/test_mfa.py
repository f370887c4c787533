"""TOTP two-factor authentication: enrolment confirmed by a first code, asked at login (a second step holding
nothing but a server-side record) and at signing, codes never accepted twice, recovery codes once each, and an
institution's rule sending people to enrol before they may sign."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.auth.security_models import MfaPendingLogin, UserMfa
from app.clock import frozen_at, utcnow
from tests.conftest import PASSWORD, Team
from tests.signoffs.test_signoff_rules import mark_done, sign
from tests.web.form_client import FormClient, as_role

MOMENT = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)  # the start of a 30-second step


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    """Codes depend on the time: each test runs at one fixed moment and asks for codes of nearby steps."""
    with frozen_at(MOMENT):
        yield


def code(secret: str, steps_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30 * steps_from_now))


def enrol(app: FastAPI, team: Team, role: str) -> tuple[FormClient, str, list[str]]:
    """Enrol through the pages as a person does: the secret read from the page, the first code from it."""
    browser = as_role(app, team, role)
    browser.get("/account/mfa")
    page = browser.post("/account/mfa/enrol", {})
    assert page.status_code == 200, page.text
    secret = re.search(r'id="mfa-secret"[^>]*>([A-Z2-7]+)<', page.text)
    assert secret is not None and 'src="data:image/svg+xml' in page.text  # the QR code drawn locally
    browser.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    done = browser.post("/account/mfa/confirm", {"code": code(secret.group(1), -1)})
    assert done.status_code == 200, done.text
    recovery = re.findall(r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>", done.text)
    return browser, secret.group(1), recovery


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(col(AuditEvent.action) == action)))


def web_login(app: FastAPI, email: str, password: str = PASSWORD) -> tuple[TestClient, object]:
    browser = TestClient(app)
    response = browser.post("/login", data={"email": email, "password": password, "next": "/queue"},
                            follow_redirects=False)
    return browser, response


def test_enrolment_needs_a_first_valid_code_then_gives_ten_recovery_codes_and_hides_the_secret(
    app: FastAPI, team: Team, session: Session
) -> None:
    browser = as_role(app, team, "finance_lead")
    browser.get("/account/mfa")
    page = browser.post("/account/mfa/enrol", {})
    secret = re.search(r'id="mfa-secret"[^>]*>([A-Z2-7]+)<', page.text).group(1)  # type: ignore[union-attr]
    wrong = browser.post("/account/mfa/confirm", {"code": "000000" if code(secret) != "000000" else "111111"})
    assert wrong.status_code == 422 and "the code is incorrect" in wrong.text
    assert session.get(UserMfa, team.people["finance_lead"].id).enabled_at is None  # type: ignore[union-attr]
    done = browser.post("/account/mfa/confirm", {"code": code(secret)})
    recovery = re.findall(r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>", done.text)
    assert done.status_code == 200 and len(set(recovery)) == 10
    assert [e.after["method"] for e in events(session, "mfa.enabled")] == ["totp"]
    later = browser.get("/account/mfa")
    assert secret not in later.text and "10 unused recovery codes" in later.text
    assert "Code from your authenticator app" not in as_role(app, team, "pharmacy_lead").get(
        f"/programs/{team.program.id}/items/PHARM-001").text


def test_login_asks_for_the_code_on_a_second_page_and_only_then_starts_a_session(
    app: FastAPI, team: Team, session: Session
) -> None:
    _, secret, _ = enrol(app, team, "finance_lead")
    browser, response = web_login(app, "finance_lead@riverside.example")
    assert response.status_code == 303 and response.headers["location"] == "/login/mfa"  # type: ignore[attr-defined]
    assert "gtready_session" not in browser.cookies
    assert browser.get("/queue", follow_redirects=False).headers["location"].startswith("/login")
    assert "Enter your code" in browser.get("/login/mfa").text
    wrong = browser.post("/login/mfa", data={"code": "12345x"}, follow_redirects=False)
    assert wrong.status_code == 401 and "the code is incorrect" in wrong.text
    done = browser.post("/login/mfa", data={"code": code(secret)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/queue"
    assert browser.get("/queue").status_code == 200
    assert session.scalars(select(MfaPendingLogin)).all() == []  # the half-finished login is gone


def test_a_code_is_refused_the_second_time_even_within_its_window(app: FastAPI, team: Team) -> None:
    _, secret, _ = enrol(app, team, "finance_lead")
    first, _ = web_login(app, "finance_lead@riverside.example")
    assert first.post("/login/mfa", data={"code": code(secret)}, follow_redirects=False).status_code == 303
    second, _ = web_login(app, "finance_lead@riverside.example")
    replay = second.post("/login/mfa", data={"code": code(secret)}, follow_redirects=False)
    assert replay.status_code == 401 and "already used" in replay.text
    # an older code of the window is a replay too: the enrolment used step -1, the login step 0
    assert second.post("/login/mfa", data={"code": code(secret, -1)}, follow_redirects=False).status_code == 401
    assert second.post("/login/mfa", data={"code": code(secret, 1)}, follow_redirects=False).status_code == 303


def test_a_recovery_code_works_once(app: FastAPI, team: Team, session: Session) -> None:
    _, _, recovery = enrol(app, team, "finance_lead")
    first, _ = web_login(app, "finance_lead@riverside.example")
    assert first.post("/login/mfa", data={"code": recovery[3].upper()}, follow_redirects=False).status_code == 303
    again, _ = web_login(app, "finance_lead@riverside.example")
    assert again.post("/login/mfa", data={"code": recovery[3]}, follow_redirects=False).status_code == 401
    assert [e.after["recovery_codes_left"] for e in events(session, "mfa.recovery_code_used")] == [9]


def test_wrong_codes_end_the_half_finished_login_and_are_throttled(app: FastAPI, team: Team) -> None:
    enrol(app, team, "finance_lead")
    browser, _ = web_login(app, "finance_lead@riverside.example")
    answers = [browser.post("/login/mfa", data={"code": "999999"}, follow_redirects=False) for _ in range(6)]
    assert [a.status_code for a in answers[:4]] == [401] * 4
    # the fifth wrong code also ends the pending login: the next attempt is sent back to the password
    assert answers[5].status_code in (401, 429) and "Log in" in answers[5].text
    assert "expired" in answers[5].text or "too many" in answers[5].text


def test_api_login_needs_the_code_with_the_password(app: FastAPI, team: Team, anonymous: TestClient) -> None:
    _, secret, _ = enrol(app, team, "finance_lead")
    body = {"email": "finance_lead@riverside.example", "password": PASSWORD}
    missing = anonymous.post("/api/auth/login", json=body)
    assert missing.status_code == 401 and missing.json()["mfa_required"] is True
    assert anonymous.post("/api/auth/login", json=body | {"totp_code": "000001"}).status_code == 401
    assert anonymous.post("/api/auth/login", json=body | {"totp_code": code(secret)}).status_code == 200


def test_signing_asks_for_the_code_of_a_signer_who_uses_one(app: FastAPI, team: Team, session: Session) -> None:
    _, secret, _ = enrol(app, team, "finance_lead")
    version = mark_done(team, "PAY-001")
    client = team.clients["finance_lead"]
    missing = sign(client, team, "PAY-001", version)
    assert missing.status_code == 401 and "authenticator app" in missing.json()["detail"]
    assert missing.json()["field"] == "totp_code"
    assert sign(client, team, "PAY-001", version, totp_code=code(secret, -1)).status_code == 401  # used at enrolment
    signed = sign(client, team, "PAY-001", version, totp_code=code(secret))
    assert signed.status_code == 201, signed.text
    assert [e.after["via"] for e in events(session, "mfa.code_rejected")] == ["signature"]


def test_the_web_sign_off_form_asks_for_the_code(app: FastAPI, team: Team) -> None:
    browser, secret, _ = enrol(app, team, "finance_lead")
    version = mark_done(team, "PAY-001")
    page = browser.get(f"/programs/{team.program.id}/items/PAY-001")
    assert 'name="totp_code"' in page.text
    form = {"password": PASSWORD, "meaning": "approved", "version": str(version)}
    refused = browser.post(f"/programs/{team.program.id}/items/PAY-001/signoff", form | {"totp_code": "000000"})
    assert refused.status_code == 401 and 'id="totp-error"' in refused.text
    browser.get(f"/programs/{team.program.id}/items/PAY-001")
    signed = browser.post(f"/programs/{team.program.id}/items/PAY-001/signoff", form | {"totp_code": code(secret)})
    assert signed.status_code == 303, signed.text


def test_an_institution_requiring_mfa_sends_the_role_to_enrol_and_refuses_its_signature_until_then(
    app: FastAPI, team: Team, session: Session
) -> None:
    admin = team.clients["administrator"]
    url = f"/api/institutions/{team.institution.id}/security"
    assert admin.get(url).json() == {"require_mfa_for": []}
    saved = admin.put(url, json={"require_mfa_for": ["champion", "finance_lead"]})
    assert saved.status_code == 200 and saved.json() == {"require_mfa_for": ["champion", "finance_lead"]}
    assert [e.after for e in events(session, "institution.security_changed")] == [
        {"require_mfa_for": ["champion", "finance_lead"]}]
    browser, response = web_login(app, "finance_lead@riverside.example")
    assert response.headers["location"] == "/account/mfa?required=1"  # type: ignore[attr-defined]
    assert "requires two-factor authentication" in browser.get("/account/mfa?required=1").text
    version = mark_done(team, "PAY-001")
    refused = sign(team.clients["finance_lead"], team, "PAY-001", version)
    assert refused.status_code == 403 and "turn it on in My account" in refused.json()["detail"]
    _, secret, _ = enrol(app, team, "finance_lead")
    assert sign(team.clients["finance_lead"], team, "PAY-001", version, totp_code=code(secret)).status_code == 201
    # a role the rule does not name is not affected
    assert web_login(app, "pharmacy_lead@riverside.example")[1].headers["location"] == "/queue"  # type: ignore


def test_only_administrators_set_the_rule_and_outsiders_see_nothing(team: Team, outsider: TestClient) -> None:
    url = f"/api/institutions/{team.institution.id}/security"
    assert team.clients["champion"].put(url, json={"require_mfa_for": []}).status_code == 403
    assert outsider.get(url).status_code == 404 and outsider.put(url, json={"require_mfa_for": []}).status_code == 404
    assert team.clients["administrator"].put(url, json={"require_mfa_for": ["nobody"]}).status_code == 422


def test_turning_it_off_needs_the_password_and_a_code(app: FastAPI, team: Team, session: Session) -> None:
    browser, secret, _ = enrol(app, team, "finance_lead")
    browser.get("/account/mfa")
    wrong_password = browser.post("/account/mfa/disable", {"password": "not it at all", "code": code(secret)})
    assert wrong_password.status_code == 401 and "password is incorrect" in wrong_password.text
    browser.get("/account/mfa")
    wrong_code = browser.post("/account/mfa/disable", {"password": PASSWORD, "code": "000000"})
    assert wrong_code.status_code == 401
    browser.get("/account/mfa")
    done = browser.post("/account/mfa/disable", {"password": PASSWORD, "code": code(secret, 1)})
    assert done.status_code == 303
    assert len(events(session, "mfa.disabled")) == 1
    assert session.get(UserMfa, team.people["finance_lead"].id) is None
    _, response = web_login(app, "finance_lead@riverside.example")
    assert response.headers["location"] == "/queue"  # type: ignore[attr-defined]
