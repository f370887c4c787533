"""A local item may declare an approval chain, validated as a library item's is, and is signed off through it."""

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.programs.local_items import read_local_items
from tests.conftest import Team
from tests.programs.test_local_items import add, body, error_of
from tests.signoffs.test_chains import committee, meeting, member, sign_step, status_of
from tests.signoffs.test_signoff_rules import attach, mark_done

CHAIN = [
    {"role": "policy_lead", "meaning": "authored"},
    {"committee": "pt", "meaning": "approved"},
    {"committee": "mec", "meaning": "approved"},
]


def test_a_local_item_with_a_chain_is_signed_off_by_its_last_step(
    session: Session, team: Team, client_for: Any
) -> None:
    created = add(team, approval_chain=CHAIN, evidence_kinds=["committee_approval"])
    key = created["key"]
    assert created["approval_chain"] == CHAIN
    pt_user, pt = member(session, team, client_for, "P&T member")
    mec_user, mec = member(session, team, client_for, "MEC member")
    committee(session, team, "pt", "Pharmacy and therapeutics committee", pt_user)
    committee(session, team, "mec", "Medical executive committee", mec_user)
    attach(team, key, "committee_approval")
    mark_done(team, key)
    assert sign_step(team.clients["policy_lead"], team, "authored", key).status_code == 201
    assert sign_step(pt, team, "approved", key, meeting_date=meeting()).status_code == 201
    assert status_of(team, key) == "done"
    last = sign_step(mec, team, "approved", key, meeting_date=meeting(1))
    assert last.status_code == 201, last.text
    assert status_of(team, key) == "signed_off"


def test_a_chain_can_be_added_to_and_cleared_from_a_local_item(team: Team) -> None:
    created = add(team)
    assert created["approval_chain"] is None
    client = team.clients["champion"]
    changed = client.patch(team.url(f"/local-items/{created['key']}"),
                           json={"approval_chain": CHAIN[:2], "version": created["version"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["approval_chain"] == CHAIN[:2]
    cleared = client.patch(team.url(f"/local-items/{created['key']}"),
                           json={"approval_chain": None, "version": changed.json()["version"]})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["approval_chain"] is None


@pytest.mark.parametrize(("chain", "words"), [
    ([], "at least 1"),
    ([{"role": "policy_lead", "committee": "pt", "meaning": "approved"}], "exactly one of 'role' or 'committee'"),
    ([{"meaning": "approved"}], "exactly one of 'role' or 'committee'"),
    ([{"role": "janitor", "meaning": "approved"}], "janitor"),
    ([{"committee": "pt", "meaning": "blessed"}], "blessed"),
    ([{"committee": "P&T!", "meaning": "approved"}], ""),
    ([{"role": "policy_lead", "meaning": "authored", "colour": "red"}], ""),
    ([{"role": "policy_lead", "meaning": "authored"}] * 11, "at most 10"),
])
def test_a_bad_chain_is_refused_naming_the_field(team: Team, chain: list[dict[str, str]], words: str) -> None:
    response = team.clients["champion"].post(team.url("/local-items"), json=body(approval_chain=chain))
    assert response.status_code == 422, response.text
    loc, message = error_of(response)
    assert loc[:2] == ["body", "approval_chain"] and words in message, (loc, message)
    assert team.clients["viewer"].get(team.url("/items/LOC-001")).status_code == 404


def test_a_local_items_file_may_declare_a_chain(tmp_path: Path) -> None:
    text = """items:
  - area: policy
    title: Board approval of the gene therapy policy
    done_when: The board minutes approve the policy.
    why: The board approves policies with this financial exposure.
    references: [Hospital bylaws 4.2]
    signoff_role: policy_lead
    criticality: major
    approval_chain:
      - {role: policy_lead, meaning: authored}
      - {committee: board, meaning: approved}
"""
    read = read_local_items(tmp_path / "local.yaml", text)
    assert [s.model_dump(exclude_none=True) for s in read.items[0].approval_chain or []] == [
        {"role": "policy_lead", "meaning": "authored"}, {"committee": "board", "meaning": "approved"}]
    bad = text.replace("meaning: approved}", "meaning: blessed}")
    with pytest.raises(Exception, match="line 11") as refused:
        read_local_items(tmp_path / "local.yaml", bad)
    assert "blessed" in str(refused.value.problems)  # type: ignore[attr-defined]
