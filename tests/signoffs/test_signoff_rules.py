"""An electronic signature stands only when every rule holds; revoking it is a new record."""

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.auth.service import LOCKOUT_FAILURES
from tests.conftest import PASSWORD, Team
from tests.web.form_client import as_role


def mark_done(team: Team, key: str, client: str = "champion") -> int:
    item = team.clients[client].get(team.url(f"/items/{key}")).json()
    body = {"status": "done", "version": item["version"]}
    response = team.clients[client].patch(team.url(f"/items/{key}"), json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def attach(team: Team, key: str, kind: str, name: str = "evidence.pdf", **form: Any) -> dict[str, Any]:
    response = team.clients["champion"].post(
        team.url(f"/items/{key}/evidence"), files={"file": (name, b"%PDF-1.4 test evidence\n")},
        data={"kind": kind, **form},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def sign(client: TestClient, team: Team, key: str, version: int, password: str = PASSWORD, **extra: Any) -> Any:
    body = {"password": password, "meaning": "approved", "statement": "Checked on site.", "version": version, **extra}
    return client.post(team.url(f"/items/{key}/signoffs"), json=body)


def test_the_right_lead_signs_with_password_and_the_item_is_signed_off(team: Team) -> None:
    version = mark_done(team, "PAY-001")
    response = sign(team.clients["finance_lead"], team, "PAY-001", version)
    assert response.status_code == 201, response.text
    record = response.json()
    assert (record["signer_name"], record["role"], record["meaning"]) == ("Finance lead", "finance_lead", "approved")
    assert record["item_snapshot"]["title"] == "Prior authorisation workflow"
    item = team.clients["viewer"].get(team.url("/items/PAY-001")).json()
    assert (item["status"], item["version"]) == ("signed_off", version + 1)


def test_wrong_role_is_403_naming_the_role(team: Team) -> None:
    version = mark_done(team, "PAY-001")
    response = sign(team.clients["pharmacy_lead"], team, "PAY-001", version)
    assert response.status_code == 403 and response.json()["required_roles"] == ["finance_lead"]
    # a champion does not sign for finance either
    assert sign(team.clients["champion"], team, "PAY-001", version).status_code == 403


def test_wrong_password_is_401(team: Team) -> None:
    version = mark_done(team, "PAY-001")
    response = sign(team.clients["finance_lead"], team, "PAY-001", version, password="wrong")
    assert response.status_code == 401 and response.json()["detail"] == "the password is incorrect"


def test_stale_version_is_409_with_the_current_state(team: Team) -> None:
    version = mark_done(team, "PAY-001")
    team.clients["champion"].patch(team.url("/items/PAY-001"), json={"notes": "edited", "version": version})
    response = sign(team.clients["finance_lead"], team, "PAY-001", version)
    assert response.status_code == 409 and response.json()["current"]["notes"] == "edited"


def test_only_done_items_can_be_signed(team: Team) -> None:
    response = sign(team.clients["finance_lead"], team, "PAY-001", 1)
    assert response.status_code == 409 and response.json()["reason"] == "status"


def test_unsigned_dependency_is_409_naming_it(team: Team) -> None:
    version = mark_done(team, "PHARM-002")
    response = sign(team.clients["pharmacy_lead"], team, "PHARM-002", version)
    assert response.status_code == 409
    assert response.json()["reason"] == "dependencies" and response.json()["unsigned_dependencies"] == ["PHARM-001"]


def test_missing_evidence_is_409_naming_the_kind_and_attaching_it_allows_signing(team: Team) -> None:
    version = mark_done(team, "PHARM-001")
    response = sign(team.clients["pharmacy_lead"], team, "PHARM-001", version)
    assert response.status_code == 409 and response.json()["missing_evidence"] == ["equipment_qualification"]
    evidence = attach(team, "PHARM-001", "equipment_qualification", "freezer-pq.pdf")
    signed = sign(team.clients["pharmacy_lead"], team, "PHARM-001", version)
    assert signed.status_code == 201
    assert signed.json()["evidence"] == [{"id": evidence["id"], "file": "freezer-pq.pdf",
                                          "kind": "equipment_qualification", "sha256": evidence["sha256"]}]
    # and now its dependant can be signed
    dependant = mark_done(team, "PHARM-002")
    assert sign(team.clients["pharmacy_lead"], team, "PHARM-002", dependant).status_code == 201


def test_superuser_cannot_sign_for_a_lead(team: Team, client: TestClient) -> None:
    version = mark_done(team, "PAY-001")
    assert sign(client, team, "PAY-001", version, password="correct horse battery staple").status_code == 403


def test_revocation_by_signer_restores_done_and_keeps_the_record(team: Team) -> None:
    version = mark_done(team, "PAY-001")
    signoff = sign(team.clients["finance_lead"], team, "PAY-001", version).json()
    revoked = team.clients["finance_lead"].post(f"/api/signoffs/{signoff['id']}/revocation",
                                                json={"reason": "Signed the wrong version of the SOP."})
    assert revoked.status_code == 200 and revoked.json()["revocation"]["reason"].startswith("Signed the wrong")
    assert team.clients["viewer"].get(team.url("/items/PAY-001")).json()["status"] == "done"
    register = team.clients["viewer"].get(team.url("/signoffs")).json()
    assert [(r["item_key"], r["revocation"] is not None) for r in register] == [("PAY-001", True)]
    again = team.clients["finance_lead"].post(f"/api/signoffs/{signoff['id']}/revocation", json={"reason": "again"})
    assert again.status_code == 409


def test_only_the_signer_or_a_champion_may_revoke(team: Team) -> None:
    version = mark_done(team, "POL-001")
    attach(team, "POL-001", "committee_approval")
    signoff = sign(team.clients["policy_lead"], team, "POL-001", version).json()
    url = f"/api/signoffs/{signoff['id']}/revocation"
    refused = team.clients["pharmacy_lead"].post(url, json={"reason": "not mine"})
    assert refused.status_code == 403 and refused.json()["required_roles"] == ["champion"]
    assert team.clients["champion"].post(url, json={"reason": "Committee minutes superseded."}).status_code == 200


def test_signature_lapses_at_renewal_and_stops_counting(team: Team) -> None:
    version = mark_done(team, "POL-002")
    assert sign(team.clients["policy_lead"], team, "POL-002", version).status_code == 201
    item = team.clients["viewer"].get(team.url("/items/POL-002")).json()
    from datetime import date

    lapses = date.fromisoformat(item["lapses_on"])
    assert 365 <= (lapses - date.today()).days <= 366


def rejected_passwords(session: Session) -> list[AuditEvent]:
    session.expire_all()
    query = select(AuditEvent).where(col(AuditEvent.action) == "user.password_rejected").order_by(col(AuditEvent.seq))
    return list(session.scalars(query))


def test_wrong_passwords_at_signing_are_throttled_like_logins_and_audited(
    team: Team, anonymous: TestClient, session: Session
) -> None:
    version = mark_done(team, "PAY-001")
    finance = team.clients["finance_lead"]
    answers = [sign(finance, team, "PAY-001", version, password=f"guess {n}").status_code
               for n in range(LOCKOUT_FAILURES)]
    assert answers == [401] * LOCKOUT_FAILURES
    refused = sign(finance, team, "PAY-001", version)  # the right password, too late
    assert refused.status_code == 429 and "too many failed" in refused.json()["detail"]
    # One count with logins: logging in from the same address waits as well.
    login = anonymous.post("/api/auth/login", json={"email": "finance_lead@riverside.example", "password": PASSWORD})
    assert login.status_code == 429
    events = rejected_passwords(session)
    assert [(e.actor_name, e.entity_key, e.after) for e in events] == [
        ("Finance lead", "finance_lead@riverside.example", {"via": "signature", "client": "testclient"})
    ] * LOCKOUT_FAILURES
    assert "guess" not in str([(e.before, e.after) for e in events])
    assert team.clients["viewer"].get(team.url("/items/PAY-001")).json()["status"] == "done"


def test_the_web_sign_form_is_throttled_and_audited_too(app: FastAPI, team: Team, session: Session) -> None:
    version = mark_done(team, "PAY-001")
    browser = as_role(app, team, "finance_lead")
    browser.get(f"/programs/{team.program.id}/items/PAY-001")
    url = f"/programs/{team.program.id}/items/PAY-001/signoff"
    form = {"meaning": "approved", "version": str(version), "statement": "Checked on site."}
    for n in range(LOCKOUT_FAILURES):
        page = browser.post(url, form | {"password": f"guess {n}"})
        assert page.status_code == 401 and "the password is incorrect" in page.text
    page = browser.post(url, form | {"password": PASSWORD})
    assert page.status_code == 429 and "too many failed logins" in page.text
    assert len(rejected_passwords(session)) == LOCKOUT_FAILURES
    assert team.clients["viewer"].get(team.url("/items/PAY-001")).json()["status"] == "done"
