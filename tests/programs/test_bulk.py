"""Bulk edits through the API: each row goes through the single-item path and says what happened to it."""

from typing import Any

from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from tests.conftest import Team


def versions(team: Team, client: str = "champion") -> dict[str, int]:
    return {i["key"]: i["version"] for i in team.clients[client].get(team.url("/items")).json()["items"]}


def bulk(team: Team, body: dict[str, Any], client: str = "champion") -> Any:
    response = team.clients[client].post(team.url("/items/bulk"), json=body)
    assert response.status_code == 200, response.text
    return response.json()


def outcomes(result: dict[str, Any]) -> dict[str, str]:
    return {row["key"]: row["outcome"] for row in result["rows"]}


def test_a_bulk_owner_change_is_applied_and_audited_per_item(team: Team, session: Session) -> None:
    sam = team.people["pharmacy_lead"]
    seen = versions(team)
    result = bulk(team, {"keys": ["PHARM-001", "PHARM-002", "POL-002"], "versions": seen,
                         "change": {"owner_id": str(sam.id), "due_date": "2030-03-01"}})
    assert outcomes(result) == {"PHARM-001": "done", "PHARM-002": "done", "POL-002": "done"}
    assert result["done"] == 3 and all(row["version"] == 2 for row in result["rows"])
    items = {i["key"]: i for i in team.clients["viewer"].get(team.url("/items")).json()["items"]}
    assert items["POL-002"]["owner_id"] == str(sam.id) and items["POL-002"]["due_date"] == "2030-03-01"
    events = session.scalars(select(AuditEvent).where(col(AuditEvent.action) == "item.updated")).all()
    assert sorted(e.entity_key for e in events) == ["PHARM-001", "PHARM-002", "POL-002"]


def test_a_row_changed_since_the_page_was_loaded_is_a_conflict_and_left_alone(team: Team) -> None:
    seen = versions(team)
    team.clients["champion"].patch(team.url("/items/POL-001"), json={"status": "in_progress", "version": 1})
    result = bulk(team, {"keys": ["PHARM-001", "POL-001"], "versions": seen, "change": {"status": "done"}})
    assert outcomes(result) == {"PHARM-001": "done", "POL-001": "conflict"}
    assert "changed by someone else" in result["rows"][1]["reason"]
    assert team.clients["viewer"].get(team.url("/items/POL-001")).json()["status"] == "in_progress"


def test_a_row_the_person_may_not_change_is_refused_naming_the_role(team: Team) -> None:
    seen = versions(team, "pharmacy_lead")
    result = bulk(team, {"keys": ["PHARM-001", "POL-001"], "versions": seen, "change": {"status": "done"}},
                  client="pharmacy_lead")
    assert outcomes(result) == {"PHARM-001": "done", "POL-001": "refused"}
    assert result["rows"][1]["reason"] == "this needs the administrator or champion or policy_lead role"
    assert team.clients["viewer"].get(team.url("/items/POL-001")).json()["status"] == "not_started"


def test_a_transition_the_rules_forbid_is_refused_with_the_rule_in_words(team: Team) -> None:
    result = bulk(team, {"keys": ["PAY-001"], "change": {"status": "not_applicable"}})
    assert outcomes(result) == {"PAY-001": "refused"}
    assert "justification is required" in result["rows"][0]["reason"]


def test_all_matching_a_selection_changes_exactly_those_items(team: Team) -> None:
    result = bulk(team, {"selection": {"blockers": True}, "change": {"status": "in_progress"}})
    assert outcomes(result) == {"PHARM-001": "done", "POL-001": "done"}
    again = bulk(team, {"selection": {"area": "policy"}, "change": {"status": "in_progress"}})
    assert outcomes(again) == {"POL-001": "unchanged", "POL-002": "done"}


def test_a_bulk_edit_without_a_change_or_with_both_targets_is_refused_naming_the_field(team: Team) -> None:
    client = team.clients["champion"]
    nothing = client.post(team.url("/items/bulk"), json={"keys": ["PAY-001"], "change": {}})
    assert nothing.status_code == 422 and "at least one of owner_id" in nothing.text
    both = client.post(team.url("/items/bulk"),
                       json={"keys": ["PAY-001"], "selection": {}, "change": {"status": "done"}})
    assert both.status_code == 422 and "either keys or selection" in both.text
    bad_key = client.post(team.url("/items/bulk"), json={"keys": ["nope"], "change": {"status": "done"}})
    assert bad_key.status_code == 422 and "keys" in bad_key.text


def test_an_owner_outside_the_institution_is_refused_per_row(team: Team) -> None:
    result = bulk(team, {"keys": ["PAY-001"], "change": {"owner_id": "00000000-0000-0000-0000-000000000001"}})
    assert outcomes(result) == {"PAY-001": "refused"}
    assert "member of the program's institution" in result["rows"][0]["reason"]
