"""Service accounts: created by an institution's administrators, authenticated by the OAuth 2.0 client-credentials
grant, confined to their access, never signing, and revoked at once."""

import base64
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.auth.security_models import ServiceAccount
from app.cli import cli
from app.clock import frozen_at, utcnow
from app.notifications.models import NotificationKind
from app.notifications.service import notify
from tests.conftest import Team
from tests.factories import make_institution, make_program
from tests.signoffs.test_signoff_rules import mark_done, sign
from tests.web.form_client import as_role


def create(team: Team, access: str = "read", name: str = "Data warehouse") -> dict[str, Any]:
    response = team.clients["administrator"].post(
        f"/api/institutions/{team.institution.id}/service-accounts", json={"name": name, "access": access})
    assert response.status_code == 201, response.text
    return dict(response.json())


def token_for(anonymous: TestClient, account: dict[str, Any]) -> str:
    response = anonymous.post("/api/oauth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": account["client_secret"]})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(app: FastAPI, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def actions(session: Session) -> list[str]:
    session.expire_all()
    query = select(col(AuditEvent.action)).where(col(AuditEvent.action).like("service_account.%"))
    return list(session.scalars(query.order_by(col(AuditEvent.seq))))


def test_an_administrator_creates_one_and_its_secret_is_shown_once_and_kept_hashed(
    team: Team, session: Session
) -> None:
    account = create(team)
    assert account["client_id"].startswith("sa_") and len(account["client_secret"]) > 30
    listed = team.clients["administrator"].get(f"/api/institutions/{team.institution.id}/service-accounts").json()
    assert [a["name"] for a in listed] == ["Data warehouse"] and "client_secret" not in listed[0]
    stored = session.scalars(select(ServiceAccount)).one()
    assert account["client_secret"] not in stored.secret_hash
    assert actions(session) == ["service_account.created"]
    members = team.clients["administrator"].get(f"/api/institutions/{team.institution.id}/members").json()
    assert not [m for m in members if "service account" in m["full_name"]]  # not a person to assign or mention
    assert team.clients["champion"].get(f"/api/institutions/{team.institution.id}/service-accounts").status_code == 403


def test_client_credentials_give_a_short_lived_bearer_token(
    app: FastAPI, team: Team, anonymous: TestClient, session: Session
) -> None:
    account = create(team)
    response = anonymous.post("/api/oauth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": account["client_secret"]})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert bearer(app, body["access_token"]).get(team.url()).status_code == 200
    assert actions(session) == ["service_account.created", "service_account.token_issued"]
    # HTTP Basic works as well (RFC 6749 section 2.3.1)
    basic = base64.b64encode(f"{account['client_id']}:{account['client_secret']}".encode()).decode()
    by_basic = anonymous.post("/api/oauth/token", data={"grant_type": "client_credentials"},
                              headers={"Authorization": f"Basic {basic}"})
    assert by_basic.status_code == 200, by_basic.text
    with frozen_at(utcnow() + timedelta(minutes=16)):
        assert bearer(app, body["access_token"]).get(team.url()).status_code == 401  # expired


def test_token_endpoint_errors_follow_rfc_6749(team: Team, anonymous: TestClient) -> None:
    account = create(team)
    good = {"grant_type": "client_credentials", "client_id": account["client_id"],
            "client_secret": account["client_secret"]}
    wrong = anonymous.post("/api/oauth/token", data=good | {"client_secret": "not the secret"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert "www-authenticate" in wrong.headers
    unknown = anonymous.post("/api/oauth/token", data=good | {"client_id": "sa_nobody"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
    missing = anonymous.post("/api/oauth/token", data={"client_id": account["client_id"]})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    grant = anonymous.post("/api/oauth/token", data=good | {"grant_type": "password"})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    nul = anonymous.post("/api/oauth/token", data=good | {"client_id": "sa_\x00"})
    assert nul.status_code == 400 and nul.json()["error"] == "invalid_request"
    broken = anonymous.post("/api/oauth/token", data={"grant_type": "client_credentials"},
                            headers={"Authorization": "Basic !!!"})
    assert broken.status_code == 401 and broken.json()["error"] == "invalid_client"


def test_read_access_reads_and_is_refused_writes(app: FastAPI, team: Team, anonymous: TestClient) -> None:
    client = bearer(app, token_for(anonymous, create(team, "read")))
    item = client.get(team.url("/items/PAY-001"))
    assert item.status_code == 200
    refused = client.patch(team.url("/items/PAY-001"), json={"status": "in_progress",
                                                             "version": item.json()["version"]})
    assert refused.status_code == 403


def test_read_write_access_changes_items_but_never_signs(app: FastAPI, team: Team, anonymous: TestClient) -> None:
    client = bearer(app, token_for(anonymous, create(team, "read-write")))
    item = client.get(team.url("/items/PAY-001")).json()
    changed = client.patch(team.url("/items/PAY-001"), json={"status": "done", "version": item["version"]})
    assert changed.status_code == 200, changed.text
    refused = sign(client, team, "PAY-001", changed.json()["version"])
    assert refused.status_code == 403 and "service accounts cannot sign" in refused.json()["detail"]
    personal = client.post("/api/auth/tokens", json={"name": "forever"})
    assert personal.status_code == 403  # its credentials stay short-lived and revocable
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")  # no pages


def test_revocation_stops_issued_tokens_at_once(
    app: FastAPI, team: Team, anonymous: TestClient, session: Session
) -> None:
    account = create(team)
    client = bearer(app, token_for(anonymous, account))
    assert client.get(team.url()).status_code == 200
    url = f"/api/institutions/{team.institution.id}/service-accounts/{account['id']}"
    revoked = team.clients["administrator"].delete(url)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get(team.url()).status_code == 401
    again = anonymous.post("/api/oauth/token", data={
        "grant_type": "client_credentials", "client_id": account["client_id"],
        "client_secret": account["client_secret"]})
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"
    assert team.clients["administrator"].delete(url).status_code == 409
    assert actions(session)[-1] == "service_account.revoked"


def test_other_institutions_see_none_of_it(
    app: FastAPI, team: Team, outsider: TestClient, anonymous: TestClient, session: Session
) -> None:
    account = create(team)
    base = f"/api/institutions/{team.institution.id}/service-accounts"
    assert outsider.get(base).status_code == 404
    assert outsider.post(base, json={"name": "Mine now", "access": "read"}).status_code == 404
    assert outsider.delete(f"{base}/{account['id']}").status_code == 404
    # and the service account sees nothing of another institution's programs
    other = make_program(session, app.state.catalog, make_institution(session, "Elsewhere Children's"))
    client = bearer(app, token_for(anonymous, account))
    assert client.get(f"/api/programs/{other.id}").status_code == 404


def test_the_admin_page_creates_lists_and_revokes(app: FastAPI, team: Team, anonymous: TestClient) -> None:
    admin = as_role(app, team, "administrator")
    base = f"/institutions/{team.institution.id}/admin/security"
    assert "Service accounts" in admin.get(base).text
    made = admin.post(f"{base}/service-accounts", {"name": "Nightly export", "access": "read-write"})
    assert made.status_code == 201 and 'id="new-client-secret"' in made.text
    assert as_role(app, team, "champion").get(base).status_code == 403
    saved = admin.post(f"{base}/mfa", {"roles": "administrator"})
    assert saved.status_code == 303
    assert team.clients["administrator"].get(
        f"/api/institutions/{team.institution.id}/security").json() == {"require_mfa_for": ["administrator"]}


def test_command_line_creates_lists_and_revokes(team: Team, anonymous: TestClient, settings: Any) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": settings.database_url}
    made = runner.invoke(cli, ["service-accounts", "create", team.institution.name, "--name", "ETL",
                               "--access", "read"], env=env)
    assert made.exit_code == 0, made.output
    client_id = made.output.split("client_id: ")[1].split()[0]
    secret = made.output.split("client_secret: ")[1].split()[0]
    assert token_for(anonymous, {"client_id": client_id, "client_secret": secret})
    listed = runner.invoke(cli, ["service-accounts", "list", str(team.institution.id)], env=env)
    assert client_id in listed.output and "1 service account in" in listed.output
    revoked = runner.invoke(cli, ["service-accounts", "revoke", str(team.institution.id), client_id], env=env)
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    unknown = runner.invoke(cli, ["service-accounts", "list", "Nowhere General"], env=env)
    assert unknown.exit_code == 1 and "no institution" in unknown.output


def test_read_write_access_never_revokes_a_signature_and_is_never_notified(
    app: FastAPI, team: Team, anonymous: TestClient, session: Session
) -> None:
    account = create(team, "read-write")
    client = bearer(app, token_for(anonymous, account))
    signed = sign(team.clients["finance_lead"], team, "PAY-001", mark_done(team, "PAY-001"))
    assert signed.status_code == 201, signed.text
    refused = client.post(f"/api/signoffs/{signed.json()['id']}/revocation", json={"reason": "Pipeline says so"})
    assert refused.status_code == 403 and "service accounts cannot revoke" in refused.json()["detail"]
    assert team.clients["viewer"].get(team.url("/items/PAY-001")).json()["status"] == "signed_off"
    session.expire_all()
    query = select(col(ServiceAccount.user_id)).where(col(ServiceAccount.client_id) == account["client_id"])
    user_id = session.scalar(query)
    assert user_id is not None
    told = notify(session, user_id, NotificationKind.READY_TO_SIGN, subject="item:PAY-001", title="Ready to sign")
    assert told is False  # its address is @service-accounts.invalid: no mailbox, no in-app reader
