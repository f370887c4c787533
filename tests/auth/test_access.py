"""Every read and write is scoped to the caller's institutions; roles gate writes with a 403 naming the role."""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.roles import Role
from tests.conftest import Team

EXAMPLE_VALUES = {"key": "PHARM-001", "role": "viewer", "to_version": "1.1.0", "register": "items", "fmt": "csv",
                  "library_id": "mini", "version": "1.0.0", "packet_kind": "ibc",
                  "service_account_id": "00000000-0000-4000-8000-000000000000", "slug": "pt"}


def test_every_institution_scoped_route_answers_404_to_another_institution(
    app: FastAPI, team: Team, outsider: TestClient
) -> None:
    """Generated from the app's own route table (its OpenAPI paths), so a new endpoint cannot skip the check."""
    ids = {"program_id": str(team.program.id), "institution_id": str(team.institution.id),
           "user_id": str(team.people["viewer"].id)}
    checked = []
    for path, operations in app.openapi()["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        if not params & {"program_id", "institution_id"}:
            continue
        concrete = path
        for name in params:
            concrete = concrete.replace(f"{{{name}}}", ids.get(name) or EXAMPLE_VALUES[name])
        for method, operation in operations.items():
            body = VALID_BODIES.get((method, path), {})
            if "multipart/form-data" in str(operation.get("requestBody", {})):
                response = outsider.request(method, concrete, files={"file": ("a.txt", b"x")}, data={"kind": "other"})
            else:
                response = outsider.request(method, concrete, params={"to_version": "1.1.0"}, json=body)
            assert response.status_code == 404, f"{method.upper()} {path}: {response.status_code} {response.text}"
            checked.append(f"{method} {path}")
    assert len(checked) >= 15, checked


VALID_BODIES = {
    ("post", "/api/institutions/{institution_id}/programs"): {
        "title": "x", "library_id": "mini", "products": ["hemgenix"], "care_role": "hub"},
    ("patch", "/api/programs/{program_id}/items/{key}"): {"notes": "x", "version": 1},
    ("post", "/api/programs/{program_id}/items/bulk"): {"keys": ["PAY-001"], "change": {"status": "done"}},
    ("post", "/api/programs/{program_id}/items/{key}/signoffs"): {
        "password": "x", "meaning": "approved", "version": 1},
    ("post", "/api/programs/{program_id}/library-upgrade"): {"to_version": "1.1.0"},
    ("post", "/api/institutions/{institution_id}/members"): {"email": "a@b.org", "roles": ["viewer"]},
    ("post", "/api/institutions/{institution_id}/invitations"): {"email": "a@b.org", "full_name": "A B",
                                                                 "roles": ["viewer"]},
    ("post", "/api/programs/{program_id}/reports"): {"kind": "executive"},
    ("post", "/api/programs/{program_id}/report-jobs"): {"kind": "executive"},
    ("post", "/api/programs/{program_id}/dossiers"): {"product": "hemgenix"},
    ("put", "/api/institutions/{institution_id}/packets/{packet_kind}"): {"yaml": "kind: ibc"},
    ("put", "/api/institutions/{institution_id}/sso"): {"rules": [{"email_domain": "b.org"}], "group_roles": []},
    ("put", "/api/programs/{program_id}/target"): {"first_patient_target": "2027-06-30"},
    ("put", "/api/institutions/{institution_id}/branding"): {"name_line": "x", "primary_colour": "#000000",
                                                            "accent_colour": "#000000"},
    ("post", "/api/programs/{program_id}/local-items"): {
        "area": "policy", "title": "xyz", "done_when": "x", "why": "x", "references": ["x"],
        "signoff_role": "policy_lead", "criticality": "minor"},
    ("patch", "/api/programs/{program_id}/local-items/{key}"): {"title": "xyz", "version": 1},
    ("post", "/api/programs/{program_id}/local-items/{key}/retire"): {"reason": "x"},
    ("post", "/api/institutions/{institution_id}/service-accounts"): {"name": "x", "access": "read"},
    ("put", "/api/institutions/{institution_id}/security"): {"require_mfa_for": ["champion"]},
    ("patch", "/api/institutions/{institution_id}"): {"time_zone": "America/Chicago"},
    ("post", "/api/programs/{program_id}/items/{key}/comments"): {"body": "x"},
    ("post", "/api/institutions/{institution_id}/committees"): {"slug": "pt", "name": "P&T"},
    ("patch", "/api/institutions/{institution_id}/committees/{slug}"): {"name": "P&T"},
    ("post", "/api/institutions/{institution_id}/committees/{slug}/members"): {
        "user_id": "00000000-0000-0000-0000-000000000001"},
    ("post", "/api/programs/{program_id}/scenarios/reimbursement"): {"name": "x", "inputs": {
        "products": [{"product": "hemgenix", "acquisition_cost": 1, "patients_per_year": 1}],
        "payers": {"commercial": {"share": 1, "denial_probability": 0, "partial_payment_probability": 0,
                                  "partial_payment_share": 0, "expected_days_to_payment": 1,
                                  "worst_case_days_to_payment": 1}}}},
    ("post", "/api/programs/{program_id}/scenarios/capacity"): {"name": "x", "inputs": {
        "products": [{"product": "hemgenix", "patients_per_year": [1],
                      "schedule": [{"from_month": 0, "to_month": 12, "visits": 1, "labs": 1}]}],
        "visit_slots_per_year": 1, "coordinator_hours_per_year": 1, "lab_capacity_per_year": 1}},
}


def test_other_institution_resources_look_absent(team: Team, outsider: TestClient) -> None:
    for path in ("", "/items", "/items/PHARM-001", "/readiness", "/signoffs", "/evidence", "/audit"):
        response = outsider.get(team.url(path))
        assert response.status_code == 404, path
    response = outsider.patch(team.url("/items/PAY-001"), json={"notes": "x", "version": 1})
    assert response.status_code == 404


def test_viewer_reads_but_cannot_change_and_is_told_which_role_is_needed(team: Team) -> None:
    viewer = team.clients["viewer"]
    assert viewer.get(team.url("/items")).status_code == 200
    response = viewer.patch(team.url("/items/PAY-001"), json={"notes": "x", "version": 1})
    assert response.status_code == 403
    assert response.json()["required_roles"] == ["administrator", "champion", "finance_lead"]


def test_area_lead_changes_only_items_of_their_role(team: Team) -> None:
    pharmacy = team.clients["pharmacy_lead"]
    assert pharmacy.patch(team.url("/items/PHARM-001"), json={"notes": "ok", "version": 1}).status_code == 200
    assert pharmacy.patch(team.url("/items/PAY-001"), json={"notes": "no", "version": 1}).status_code == 403


def test_institutions_list_shows_only_mine_and_only_superusers_create(team: Team, outsider: TestClient) -> None:
    names = [i["name"] for i in team.clients["viewer"].get("/api/institutions").json()["items"]]
    assert names == ["Riverside University Hospital"]
    assert team.clients["administrator"].post("/api/institutions", json={"name": "New"}).status_code == 403


def test_administrators_grant_and_revoke_roles(team: Team, session: Session) -> None:
    admin = team.clients["administrator"]
    url = f"/api/institutions/{team.institution.id}/members"
    granted = admin.post(url, json={"email": "viewer@riverside.example", "roles": ["education_lead"]})
    assert granted.status_code == 200 and granted.json()["roles"] == ["education_lead", "viewer"]
    viewer_id = team.people["viewer"].id
    revoked = admin.delete(f"{url}/{viewer_id}/roles/education_lead")
    assert revoked.json()["roles"] == ["viewer"]
    assert team.clients["champion"].post(url, json={"email": "viewer@riverside.example",
                                                   "roles": ["champion"]}).status_code == 403
    assert Role.VIEWER.value in [r for m in admin.get(url).json() for r in m["roles"]]
