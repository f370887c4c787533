"""Institution A (the `team`, with a record of every kind) and a person of institution B who goes after them."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.auth.roles import Role
from app.checklists.loader import load_library_folder
from tests.conftest import FIXTURE_CHECKLISTS, PASSWORD, Team
from tests.factories import make_institution, make_program, make_user
from tests.institution_libraries.helpers import renamed, upload
from tests.packets.examples import MINI_IBC
from tests.security.routes import World
from tests.signoffs.test_signoff_rules import mark_done


def web_login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the login form, as a browser does; return the session's CSRF token from a page."""
    response = client.post("/login", data={"email": email, "password": password, "next": "/account"},
                           follow_redirects=True)
    assert response.status_code == 200, response.text  # followed the redirect to the account page
    found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert found, "the account page carries no CSRF token"
    return found.group(1)


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def victim_world(team: Team) -> World:
    """Institution A's records, created on first use through A's own API clients."""
    champion, admin = team.clients["champion"], team.clients["administrator"]

    def evidence() -> str:
        response = champion.post(team.url("/items/PAY-001/evidence"), data={"kind": "other"},
                                 files={"file": ("minutes.txt", b"committee minutes\n", "text/plain")})
        return str(_created(response)["id"])

    def signoff() -> str:
        version = mark_done(team, "POL-002")
        body = {"password": PASSWORD, "meaning": "approved", "version": version}
        return str(_created(team.clients["policy_lead"].post(team.url("/items/POL-002/signoffs"), json=body))["id"])

    def report() -> str:
        return str(_created(champion.post(team.url("/reports"), json={"kind": "executive"}))["number"])

    def report_job() -> str:
        response = champion.post(team.url("/report-jobs"), json={"kind": "executive"})
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    def dossier() -> str:
        return str(_created(champion.post(team.url("/dossiers"), json={"product": "hemgenix"}))["number"])

    def scenario() -> str:
        inputs = champion.get(team.url("/scenarios/defaults")).json()["reimbursement"]
        body = {"name": "Base case", "inputs": inputs}
        return str(_created(champion.post(team.url("/scenarios/reimbursement"), json=body))["id"])

    def invitation() -> str:
        body = {"email": "newcomer@riverside.example", "full_name": "New Comer", "roles": ["viewer"]}
        return str(_created(admin.post(f"/api/institutions/{team.institution.id}/invitations", json=body))["id"])

    def token() -> str:
        return str(champion.get("/api/auth/tokens").json()[0]["id"])

    def calendar_feed() -> str:
        return str(_created(champion.post("/api/me/calendar-feeds", json={}))["id"])

    def comment() -> str:
        return str(_created(champion.post(team.url("/items/PAY-001/comments"), json={"body": "internal"}))["id"])

    def own_library() -> str:
        content = renamed(load_library_folder(FIXTURE_CHECKLISTS / "mini" / "1.0.0"), "riverside-mini")
        response = upload(admin, team.institution.id, content)
        return str(_created(response)["library_id"])

    def service_account() -> str:
        body = {"name": "Warehouse", "access": "read"}
        return str(_created(admin.post(f"/api/institutions/{team.institution.id}/service-accounts", json=body))["id"])

    def notification() -> str:
        mentioned = team.people["policy_lead"]
        champion.post(team.url("/items/PAY-001/comments"), json={"body": f"please read @{mentioned.email}"})
        return str(team.clients["policy_lead"].get("/api/me/notifications").json()["items"][0]["id"])

    def local_item() -> str:
        body = {"area": "policy", "title": "Our own policy step", "done_when": "Approved by our committee.",
                "why": "Local rule.", "references": ["Hospital policy manual"], "signoff_role": "policy_lead",
                "criticality": "major"}
        return str(_created(champion.post(team.url("/local-items"), json=body))["key"])

    def committee() -> str:
        body = {"slug": "pt", "name": "Pharmacy and therapeutics", "chair_id": str(team.people["viewer"].id)}
        return str(_created(admin.post(f"/api/institutions/{team.institution.id}/committees", json=body))["slug"])

    return World({
        "institution_id": lambda: str(team.institution.id),
        "slug": committee,  # a committee's (its chair, the viewer, sits on it)
        "program_id": lambda: str(team.program.id),
        "key": lambda: "PAY-001",
        "local-items/key": local_item,  # the local-item routes take a local item's key only
        "evidence_id": evidence,
        "signoff_id": signoff,
        "number": report,
        "dossier_number": dossier,
        "job_id": report_job,
        "scenario_id": scenario,
        "invitation_id": invitation,
        "token_id": token,
        "comment_id": comment,
        "feed_id": calendar_feed,
        "notification_id": notification,
        "service_account_id": service_account,
        "library_id": own_library,  # the institution's own library (uploaded), with its version
        "version": lambda: "1.0.0",
        "user_id": lambda: str(team.people["viewer"].id),
        "role": lambda: Role.VIEWER.value,
        # Not records but choices a route also needs: any valid value will do.
        "register": lambda: "items",
        "fmt": lambda: "csv",
        "kind": lambda: "reimbursement",
        "to_version": lambda: "1.1.0",
        "packet_kind": lambda: "ibc",
    })


def body_examples(team: Team) -> dict[str, Callable[[], dict[str, Any]]]:
    """A valid body per request model, by model name (validated against the model before use)."""

    def defaults(kind: str) -> dict[str, Any]:
        return dict(team.clients["viewer"].get(team.url("/scenarios/defaults")).json()[kind])

    return {
        "ItemUpdate": lambda: {"notes": "changed by another institution", "version": 1},
        "BulkEdit": lambda: {"keys": ["PAY-001"], "change": {"status": "in_progress"}},
        "SignOffCreate": lambda: {"password": PASSWORD, "meaning": "approved", "version": 1},
        "RevocationCreate": lambda: {"reason": "revoked by another institution"},
        "CommentCreate": lambda: {"body": "planted by another institution"},
        "CalendarFeedCreate": lambda: {"program_id": str(team.program.id)},
        "CommentEdit": lambda: {"body": "changed by another institution", "version": 1},
        "ReportRequest": lambda: {"kind": "executive"},
        "DossierRequest": lambda: {"product": "hemgenix"},
        "PacketDefinitionUpload": lambda: {"yaml": MINI_IBC},
        "SsoConfig": lambda: {"rules": [{"email_domain": "planted.example"}], "group_roles": []},
        "TargetUpdate": lambda: {"first_patient_target": "2027-06-30"},
        "BrandingUpdate": lambda: {"name_line": "Planted", "primary_colour": "#000000", "accent_colour": "#ff0000"},
        "ServiceAccountCreate": lambda: {"name": "Planted integration", "access": "read-write"},
        "InstitutionSecurityUpdate": lambda: {"require_mfa_for": []},
        "InstitutionUpdate": lambda: {"time_zone": "America/Chicago"},
        "CommitteeCreate": lambda: {"slug": "planted", "name": "Planted committee"},
        "CommitteeUpdate": lambda: {"name": "Renamed by another institution"},
        "CommitteeMemberAdd": lambda: {"user_id": str(team.people["champion"].id)},
        "UpgradeRequest": lambda: {"to_version": "1.1.0"},
        "LocalItemCreate": lambda: {"area": "policy", "title": "Planted local item", "done_when": "Planted.",
                                    "why": "Planted.", "references": ["Planted"], "signoff_role": "policy_lead",
                                    "criticality": "blocker"},
        "LocalItemUpdate": lambda: {"title": "Changed by another institution", "version": 1},
        "LocalItemRetire": lambda: {"reason": "retired by another institution"},
        "MemberGrant": lambda: {"email": "intruder@elsewhere.example", "roles": ["administrator"]},
        "InvitationCreate": lambda: {"email": "spy@elsewhere.example", "full_name": "Spy", "roles": ["champion"]},
        "ProgramCreate": lambda: {"title": "Planted program", "library_id": "mini", "products": ["hemgenix"],
                                  "care_role": "hub"},
        "ReimbursementScenarioBody": lambda: {"name": "Planted", "inputs": defaults("reimbursement")},
        "CapacityScenarioBody": lambda: {"name": "Planted", "inputs": defaults("capacity")},
    }


@dataclass
class Intruder:
    """A person of institution B holding every role there (so a refusal is about institution, not role)."""

    user: User
    client: TestClient


@pytest.fixture
def intruder(app: FastAPI, session: Session, client_for: Callable[[User], TestClient]) -> Intruder:
    other = make_institution(session, "Elsewhere General")
    make_program(session, app.state.catalog, other)
    user = make_user(session, other, roles=tuple(role.value for role in Role), password=PASSWORD,
                     email="intruder@elsewhere.example")
    return Intruder(user, client_for(user))

