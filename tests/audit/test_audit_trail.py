"""Every change leaves an append-only, hash-chained event; tampering is found and named."""

from fastapi import FastAPI
from sqlalchemy import text

from tests.conftest import Team
from tests.signoffs.test_signoff_rules import mark_done, sign


def actions(team: Team, **params: str) -> list[str]:
    events = team.clients["champion"].get(team.url("/audit"), params=params).json()["items"]
    return [f"{e['action']} {e['entity_key']}".strip() for e in events]


def test_changes_sign_offs_and_revocations_are_recorded_with_before_and_after(team: Team) -> None:
    version = mark_done(team, "PAY-001")
    signoff = sign(team.clients["finance_lead"], team, "PAY-001", version).json()
    team.clients["finance_lead"].post(f"/api/signoffs/{signoff['id']}/revocation", json={"reason": "wrong file"})
    assert actions(team) == ["signoff.revoked PAY-001", "item.signed_off PAY-001", "item.updated PAY-001",
                             "program.created"]
    updated = team.clients["champion"].get(team.url("/audit"), params={"item": "PAY-001"}).json()["items"][-1]
    assert updated["before"] == {"status": "not_started", "na_justification": None, "completed_at": None,
                                 "version": 1}
    assert updated["after"]["status"] == "done" and updated["actor_name"] == "Program champion"


def test_audit_filters_by_person(team: Team) -> None:
    mark_done(team, "PHARM-001", client="pharmacy_lead")
    mark_done(team, "PAY-001")
    by_pharmacy = actions(team, actor_id=str(team.people["pharmacy_lead"].id))
    assert by_pharmacy == ["item.updated PHARM-001"]


def test_only_champions_and_administrators_read_the_trail(team: Team) -> None:
    response = team.clients["pharmacy_lead"].get(team.url("/audit"))
    assert response.status_code == 403
    assert team.clients["administrator"].get(team.url("/audit")).status_code == 200


def test_verify_names_an_altered_event(app: FastAPI, team: Team) -> None:
    mark_done(team, "PAY-001")
    mark_done(team, "POL-002")
    assert team.clients["administrator"].get("/api/audit/verify").json() == {
        "valid": True, "events": 3, "first_bad_seq": None, "problem": None, "missing_tail": None,
        "anchors_checked": 0}
    with app.state.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor_name = 'Someone Else' WHERE seq = 2"))
    report = team.clients["administrator"].get("/api/audit/verify").json()
    assert report["valid"] is False and report["first_bad_seq"] == 2
    assert report["problem"] == "event 2 was altered after it was written"


def test_verify_names_a_removed_event(app: FastAPI, team: Team) -> None:
    for key in ("PAY-001", "POL-002", "PHARM-002"):
        mark_done(team, key)
    with app.state.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    report = team.clients["administrator"].get("/api/audit/verify").json()
    assert (report["valid"], report["first_bad_seq"]) == (False, 3)
    assert report["problem"] == "event 3 is missing (next is 4)"
