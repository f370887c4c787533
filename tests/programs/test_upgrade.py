"""A newer library version is shown as a diff and applied keeping the state of unchanged items."""

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.programs.models import ItemStatus
from app.programs.service import get_item
from tests.factories import make_program


def test_diff_lists_added_removed_and_changed(app: FastAPI, client: TestClient, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    diff = client.get(f"/api/programs/{program.id}/library-diff", params={"to_version": "1.1.0"}).json()
    assert [i["key"] for i in diff["added"]] == ["PAY-002"]
    assert [i["key"] for i in diff["removed"]] == ["POL-002"]
    assert diff["changed"] == [
        {"key": "PHARM-002", "title": "Preparation SOP written", "fields": ["done_when"],
         "before": {"done_when": "SOP approved."}, "after": {"done_when": "SOP approved and trained."}}
    ]
    assert diff["unchanged"] == 3


def test_upgrade_keeps_unchanged_state_and_resets_changed_signatures(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    program = make_program(session, app.state.catalog)
    for key, status in (("PHARM-001", ItemStatus.SIGNED_OFF), ("PHARM-002", ItemStatus.SIGNED_OFF)):
        item = get_item(session, program.id, key)
        item.status, item.notes = status, f"notes on {key}"
        session.add(item)
    session.commit()
    response = client.post(f"/api/programs/{program.id}/library-upgrade", json={"to_version": "1.1.0"})
    assert response.status_code == 200
    assert client.get(f"/api/programs/{program.id}").json()["library_version"] == "1.1.0"
    items = {i["key"]: i for i in client.get(f"/api/programs/{program.id}/items").json()["items"]}
    assert list(items) == ["PHARM-001", "PHARM-002", "POL-001", "PAY-001", "PAY-002"]
    assert items["PHARM-001"]["status"] == "signed_off" and items["PHARM-001"]["version"] == 1
    assert items["PHARM-002"]["status"] == "done" and items["PHARM-002"]["notes"] == "notes on PHARM-002"
    assert items["PHARM-002"]["done_when"] == "SOP approved and trained."
    retired = client.get(f"/api/programs/{program.id}/items/POL-002").json()
    assert retired["retired"] is True


def test_upgrade_to_same_or_older_version_is_rejected(app: FastAPI, client: TestClient, session: Session) -> None:
    program = make_program(session, app.state.catalog, library_version="1.1.0")
    response = client.post(f"/api/programs/{program.id}/library-upgrade", json={"to_version": "1.0.0"})
    assert response.status_code == 422 and "not newer" in response.json()["detail"][0]["msg"]
    response = client.get(f"/api/programs/{program.id}/library-diff", params={"to_version": "latest"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "to_version"]
