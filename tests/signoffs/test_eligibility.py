"""Who may sign an item now, and why not in words: one reason per rule the sign-off service enforces, read from the
same checks (the API's refusal and the eligibility's first blocker agree)."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.programs.service import get_item
from app.signoffs.eligibility import Eligibility, next_to_sign, sign_off_eligibility
from tests.conftest import PASSWORD, Team
from tests.signoffs.test_chains import committee, give_chain, member, sign_step
from tests.signoffs.test_signoff_rules import attach, mark_done, sign


def eligibility(session: Session, team: Team, role: str, key: str) -> Eligibility:
    session.expire_all()  # the API changed the item in another session
    item = get_item(session, team.program.id, key)
    return sign_off_eligibility(session, team.people[role], team.program, item)


def api(team: Team, role: str, key: str) -> Any:
    response = team.clients[role].get(team.url(f"/items/{key}/signoff-eligibility"))
    assert response.status_code == 200, response.text
    return response.json()


def test_an_item_not_done_says_mark_it_done_first(session: Session, team: Team) -> None:
    found = eligibility(session, team, "finance_lead", "PAY-001")
    assert not found.allowed and found.reasons == ["Mark the item done first"]


def test_missing_evidence_says_attach_it_in_words(session: Session, team: Team) -> None:
    mark_done(team, "PHARM-001")
    found = eligibility(session, team, "pharmacy_lead", "PHARM-001")
    assert found.reasons == ["Attach the equipment qualification first"]
    attach(team, "PHARM-001", "equipment_qualification")
    assert eligibility(session, team, "pharmacy_lead", "PHARM-001").allowed


def test_another_role_says_who_signs_and_names_the_holders(session: Session, team: Team) -> None:
    mark_done(team, "PAY-001")
    found = eligibility(session, team, "pharmacy_lead", "PAY-001")
    assert found.reasons == ["Only the finance lead can sign this"]
    assert found.signers is not None and found.signers.label == "Finance lead"
    assert [name for _, name in found.signers.people] == ["Finance lead"]
    assert eligibility(session, team, "finance_lead", "PAY-001").allowed


def test_a_superuser_is_not_a_signer(session: Session, team: Team, superuser: Any) -> None:
    mark_done(team, "PAY-001")
    item = get_item(session, team.program.id, "PAY-001")
    found = sign_off_eligibility(session, superuser, team.program, item)
    assert found.reasons == ["Only the finance lead can sign this"]


def test_unsigned_dependencies_say_sign_them_first(session: Session, team: Team) -> None:
    mark_done(team, "PHARM-002")
    assert eligibility(session, team, "pharmacy_lead", "PHARM-002").reasons == ["Sign off PHARM-001 first"]


def test_every_reason_is_listed_at_once(session: Session, team: Team) -> None:
    found = eligibility(session, team, "viewer", "PHARM-001")
    assert found.reasons == ["Only the pharmacy lead can sign this", "Mark the item done first",
                             "Attach the equipment qualification first"]
    assert [b.reason for b in found.blockers] == ["status", "evidence"]


def test_the_api_answers_the_same_and_its_refusal_matches_the_first_blocker(team: Team) -> None:
    version = mark_done(team, "PHARM-001")
    answer = api(team, "pharmacy_lead", "PHARM-001")
    assert answer["allowed"] is False and answer["blockers"] == ["evidence"]
    assert answer["reasons"] == ["Attach the equipment qualification first"]
    assert answer["signers"]["role"] == "pharmacy_lead" and answer["signers"]["people"][0]["full_name"] == \
        "Pharmacy lead"
    refused = sign(team.clients["pharmacy_lead"], team, "PHARM-001", version)
    assert refused.status_code == 409 and refused.json()["reason"] == "evidence"


def test_the_api_hides_other_institutions_items(team: Team, outsider: TestClient) -> None:
    assert outsider.get(team.url("/items/PHARM-001/signoff-eligibility")).status_code == 404
    assert team.clients["viewer"].get(team.url("/items/NOPE-999/signoff-eligibility")).status_code == 404


def test_a_later_step_signer_waits_for_the_step_before(session: Session, team: Team, client_for: Any) -> None:
    give_chain(session, team)
    pt_member, _ = member(session, team, client_for, "Priya Tan")
    committee(session, team, "pt", "Pharmacy and therapeutics committee", pt_member)
    committee(session, team, "mec", "Medical executive committee")
    mark_done(team, "POL-001")
    attach(team, "POL-001", "committee_approval")
    item = get_item(session, team.program.id, "POL-001")
    found = sign_off_eligibility(session, pt_member, team.program, item)
    assert found.reasons == ["Waiting for step 1 (policy lead)"]
    assert found.signers is not None and (found.signers.step, found.signers.steps) == (1, 3)
    viewer = eligibility(session, team, "viewer", "POL-001")
    assert viewer.reasons == ["Only the policy lead can sign step 1"]
    assert eligibility(session, team, "policy_lead", "POL-001").allowed


def test_a_committee_step_names_its_members_and_refuses_others(
    session: Session, team: Team, client_for: Any
) -> None:
    give_chain(session, team)
    pt_member, _ = member(session, team, client_for, "Priya Tan")
    committee(session, team, "pt", "Pharmacy and therapeutics committee", pt_member)
    mark_done(team, "POL-001")
    attach(team, "POL-001", "committee_approval")
    assert sign_step(team.clients["policy_lead"], team, "authored").status_code == 201
    found = eligibility(session, team, "policy_lead", "POL-001")
    assert found.reasons == ["Only a member of the Pharmacy and therapeutics committee can sign step 2"]
    assert found.signers is not None and [n for _, n in found.signers.people] == ["Priya Tan"]
    session.expire_all()
    assert sign_off_eligibility(session, pt_member, team.program,
                                get_item(session, team.program.id, "POL-001")).allowed


def test_a_committee_not_set_up_says_an_administrator_adds_it(session: Session, team: Team) -> None:
    give_chain(session, team, chain=[{"committee": "pt", "meaning": "approved"}])
    mark_done(team, "POL-001")
    attach(team, "POL-001", "committee_approval")
    found = eligibility(session, team, "policy_lead", "POL-001")
    assert found.reasons == ["Step 1 is signed on behalf of a committee this institution has not set up (pt): "
                             "an administrator adds it"]


def test_next_in_the_queue_is_an_item_the_person_may_sign_now(session: Session, team: Team) -> None:
    mark_done(team, "PHARM-001")  # in the queue, but its evidence is missing
    mark_done(team, "PHARM-002")  # in the queue, but it depends on PHARM-001
    lead = team.people["pharmacy_lead"]
    assert next_to_sign(session, lead) is None
    attach(team, "PHARM-001", "equipment_qualification")
    session.expire_all()
    found = next_to_sign(session, lead)
    assert found is not None and found[1].key == "PHARM-001"
    assert next_to_sign(session, lead, exclude=found[1].id) is None


def test_a_signed_item_is_not_signed_again(session: Session, team: Team) -> None:
    version = mark_done(team, "PAY-001")
    assert sign(team.clients["finance_lead"], team, "PAY-001", version, password=PASSWORD).status_code == 201
    assert eligibility(session, team, "finance_lead", "PAY-001").reasons == ["Already signed off"]
