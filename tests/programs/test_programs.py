"""Programs are instantiated from a library, filtered by products and care role; items follow the rules."""

from datetime import date, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_institution, make_program, make_user


def create_program(client: TestClient, institution_id: str, **overrides: object) -> dict[str, object]:
    body = {"title": "Hemophilia B gene therapy", "library_id": "mini", "products": ["hemgenix"], "care_role": "hub"}
    response = client.post(f"/api/institutions/{institution_id}/programs", json={**body, **overrides})
    assert response.status_code == 201, response.text
    return dict(response.json())


def item_keys(client: TestClient, program_id: object) -> list[str]:
    return [i["key"] for i in client.get(f"/api/programs/{program_id}/items").json()["items"]]


def test_program_pins_latest_library_and_gets_only_applicable_items(client: TestClient) -> None:
    institution = client.post("/api/institutions", json={"name": "St Elsewhere"}).json()
    program = create_program(client, institution["id"])
    assert program["library_version"] == "1.1.0"
    assert item_keys(client, program["id"]) == ["PHARM-001", "PHARM-002", "POL-001", "PAY-001", "PAY-002"]


def test_applicability_by_product_and_care_role(client: TestClient) -> None:
    institution = client.post("/api/institutions", json={"name": "Hub and spoke"}).json()
    hub = create_program(client, institution["id"], products=["roctavian"], library_version="1.0.0")
    spoke = create_program(client, institution["id"], care_role="spoke", library_version="1.0.0")
    assert "PHARM-003" in item_keys(client, hub["id"])
    assert item_keys(client, spoke["id"]) == ["POL-001", "POL-002", "PAY-001"]


def test_unknown_product_and_library_are_422_naming_the_field(client: TestClient) -> None:
    institution = client.post("/api/institutions", json={"name": "Typos"}).json()
    url = f"/api/institutions/{institution['id']}/programs"
    body = {"title": "x", "library_id": "mini", "products": ["hemgenx"], "care_role": "hub"}
    response = client.post(url, json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"type": "invalid", "loc": ["body", "products"],
         "msg": "unknown product 'hemgenx' (expected one of: hemgenix, roctavian)"}
    ]
    response = client.post(url, json={**body, "products": ["hemgenix"], "library_id": "nope"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "library_id"]
    response = client.post(url, json={**body, "care_role": "satellite"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "care_role"]


def test_unknown_program_is_404_with_a_message(client: TestClient) -> None:
    response = client.get("/api/programs/00000000-0000-0000-0000-000000000000/items")
    assert response.status_code == 404 and response.json() == {"detail": "program not found"}


def test_status_update_requires_the_current_version(app: FastAPI, client: TestClient, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    url = f"/api/programs/{program.id}/items/PHARM-001"
    etag = client.get(url).headers["ETag"]
    unversioned = client.patch(url, json={"status": "in_progress"})
    assert unversioned.status_code == 422 and unversioned.json()["detail"][0]["loc"] == ["body", "version"]
    bad_tag = client.patch(url, json={"status": "in_progress"}, headers={"If-Match": "yesterday"})
    assert bad_tag.status_code == 422 and bad_tag.json()["detail"][0]["loc"] == ["header", "If-Match"]
    ok = client.patch(url, json={"status": "in_progress"}, headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"status": "done"}, headers={"If-Match": etag})
    assert stale.status_code == 409
    assert stale.json()["current"]["status"] == "in_progress" and stale.json()["current"]["version"] == 2


def test_signed_off_cannot_be_set_and_signed_items_cannot_move(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    program = make_program(session, app.state.catalog)
    url = f"/api/programs/{program.id}/items/POL-001"
    response = client.patch(url, json={"status": "signed_off", "version": 1})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "status"]
    from app.programs.service import get_item

    item = get_item(session, program.id, "POL-001")
    item.status = "signed_off"
    session.add(item)
    session.commit()
    response = client.patch(url, json={"status": "in_progress", "version": 1})
    assert response.status_code == 409 and "revoke the sign-off" in response.json()["detail"]


def test_not_applicable_needs_a_justification(app: FastAPI, client: TestClient, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    url = f"/api/programs/{program.id}/items/PAY-001"
    response = client.patch(url, json={"status": "not_applicable", "version": 1})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "na_justification"]
    response = client.patch(url, json={"status": "not_applicable", "na_justification": "State payer", "version": 1})
    assert response.status_code == 200 and response.json()["na_justification"] == "State payer"
    response = client.patch(url, json={"status": "done", "version": 2})
    assert response.status_code == 409 and "not_applicable to done" in response.json()["detail"]


def test_owner_must_belong_to_the_institution(app: FastAPI, client: TestClient, session: Session) -> None:
    institution = make_institution(session)
    program = make_program(session, app.state.catalog, institution)
    member = make_user(session, institution, roles=("pharmacy_lead",), full_name="Pat Pharm")
    stranger = make_user(session, make_institution(session), roles=("pharmacy_lead",))
    url = f"/api/programs/{program.id}/items/PHARM-001"
    assert client.patch(url, json={"owner_id": str(stranger.id), "version": 1}).status_code == 422
    response = client.patch(url, json={"owner_id": str(member.id), "version": 1})
    assert response.status_code == 200 and response.json()["owner_name"] == "Pat Pharm"
    listed = client.get(f"/api/programs/{program.id}/items", params={"owner_id": str(member.id)}).json()
    assert [i["key"] for i in listed["items"]] == ["PHARM-001"]


def test_filters_and_pagination(app: FastAPI, client: TestClient, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    past = (date.today() - timedelta(days=3)).isoformat()
    client.patch(f"/api/programs/{program.id}/items/PAY-001", json={"due_date": past, "version": 1})
    url = f"/api/programs/{program.id}/items"
    overdue = client.get(url, params={"overdue": True}).json()
    assert [i["key"] for i in overdue["items"]] == ["PAY-001"] and overdue["items"][0]["overdue"] is True
    assert client.get(url, params={"area": "policy"}).json()["total"] == 2
    page = client.get(url, params={"limit": 2, "offset": 2}).json()
    assert page["total"] == 5 and [i["key"] for i in page["items"]] == ["POL-001", "POL-002"]
    assert client.get(url, params={"limit": 0}).status_code == 422
