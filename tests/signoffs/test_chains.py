"""Approval chains: steps signed in order, committee steps by members at a stated meeting, the item signed off only
by the last step, revocation voiding the steps after it, the queue, and one signature when two approve at once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.auth.service import create_api_token
from app.clock import today
from app.committees import service as committees
from app.committees.models import Committee
from app.programs.service import get_item
from tests.conftest import PASSWORD, Team
from tests.factories import make_user
from tests.signoffs.test_signoff_rules import attach, mark_done

KEY = "POL-001"  # a blocker: only a signature completes it
CHAIN = [
    {"role": "policy_lead", "meaning": "authored"},
    {"committee": "pt", "meaning": "approved"},
    {"committee": "mec", "meaning": "approved"},
]


def give_chain(session: Session, team: Team, key: str = KEY, chain: list[dict[str, str]] | None = None) -> None:
    item = get_item(session, team.program.id, key)
    item.approval_chain = chain or CHAIN
    session.add(item)
    session.commit()


def committee(session: Session, team: Team, slug: str, name: str, *members: User) -> Committee:
    made = committees.create_committee(session, None, team.institution.id, slug, name)
    for member in members:
        committees.add_member(session, None, made, member.id)
    return made


def member(session: Session, team: Team, client_for: Any, name: str) -> tuple[User, TestClient]:
    user = make_user(session, team.institution, roles=("viewer",), password=PASSWORD, full_name=name)
    return user, client_for(user)


def version_of(team: Team, key: str = KEY) -> int:
    return int(team.clients["viewer"].get(team.url(f"/items/{key}")).json()["version"])


def sign_step(client: TestClient, team: Team, meaning: str, key: str = KEY, **extra: Any) -> Any:
    body = {"password": PASSWORD, "meaning": meaning, "version": version_of(team, key), **extra}
    return client.post(team.url(f"/items/{key}/signoffs"), json=body)


def status_of(team: Team, key: str = KEY) -> str:
    return str(team.clients["viewer"].get(team.url(f"/items/{key}")).json()["status"])


def completed_weight(team: Team) -> int:
    return int(team.clients["viewer"].get(team.url("/readiness")).json()["completed_weight"])


def ready(session: Session, team: Team, client_for: Any) -> dict[str, TestClient]:
    """The chain on POL-001, committees P&T and MEC with one member each, the item marked done."""
    give_chain(session, team)
    pt_user, pt = member(session, team, client_for, "P&T member")
    mec_user, mec = member(session, team, client_for, "MEC member")
    committee(session, team, "pt", "Pharmacy and therapeutics committee", pt_user)
    committee(session, team, "mec", "Medical executive committee", mec_user)
    attach(team, KEY, "committee_approval")
    mark_done(team, KEY)
    return {"author": team.clients["policy_lead"], "pt": pt, "mec": mec}


def meeting(days_ago: int = 3) -> str:
    return str(today() - timedelta(days=days_ago))


def test_the_last_step_signs_the_item_off_and_readiness_counts_it_only_then(
    session: Session, team: Team, client_for: Any
) -> None:
    c = ready(session, team, client_for)
    before = completed_weight(team)
    first = sign_step(c["author"], team, "authored")
    assert first.status_code == 201, first.text
    assert (first.json()["step"], first.json()["role"]) == (1, "policy_lead")
    assert status_of(team) == "done" and completed_weight(team) == before
    second = sign_step(c["pt"], team, "approved", committee="pt", meeting_date=meeting())
    assert second.status_code == 201, second.text
    assert second.json()["on_behalf_of_committee"] == "Pharmacy and therapeutics committee"
    assert second.json()["meeting_date"] == meeting()
    assert status_of(team) == "done" and completed_weight(team) == before
    third = sign_step(c["mec"], team, "approved", meeting_date=meeting(1))
    assert third.status_code == 201, third.text
    assert status_of(team) == "signed_off"
    assert completed_weight(team) > before
    register = team.clients["viewer"].get(team.url(f"/signoffs?item={KEY}")).json()
    assert [r["step"] for r in register] == [3, 2, 1]


def test_steps_are_signed_in_order(session: Session, team: Team, client_for: Any) -> None:
    c = ready(session, team, client_for)
    early = sign_step(c["pt"], team, "approved", step=2, meeting_date=meeting())
    assert early.status_code == 409 and "needs step 1 signed first" in early.json()["detail"]
    assert sign_step(c["author"], team, "authored").status_code == 201
    again = sign_step(c["author"], team, "authored", step=1)
    assert again.status_code == 409 and "already signed" in again.json()["detail"]


def test_a_non_member_is_refused_403_naming_the_committee(session: Session, team: Team, client_for: Any) -> None:
    c = ready(session, team, client_for)
    assert sign_step(c["author"], team, "authored").status_code == 201
    response = sign_step(c["mec"], team, "approved", meeting_date=meeting())
    assert response.status_code == 403
    assert response.json()["required_committee"] == "pt"
    assert "Pharmacy and therapeutics committee" in response.json()["detail"]
    # the role steps keep their role check
    assert sign_step(c["pt"], team, "authored", step=1).status_code in (403, 409)


def test_a_committee_step_needs_a_meeting_date_not_in_the_future(
    session: Session, team: Team, client_for: Any
) -> None:
    c = ready(session, team, client_for)
    assert sign_step(c["author"], team, "authored").status_code == 201
    missing = sign_step(c["pt"], team, "approved")
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "meeting_date"]
    future = sign_step(c["pt"], team, "approved", meeting_date=str(today() + timedelta(days=1)))
    assert future.status_code == 422 and "future" in future.json()["detail"][0]["msg"]
    wrong = sign_step(c["pt"], team, "reviewed", meeting_date=meeting())
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "meaning"]


def test_revoking_step_one_voids_two_and_three_as_new_records(
    session: Session, team: Team, client_for: Any
) -> None:
    c = ready(session, team, client_for)
    ids = [sign_step(c["author"], team, "authored").json()["id"]]
    ids.append(sign_step(c["pt"], team, "approved", meeting_date=meeting()).json()["id"])
    ids.append(sign_step(c["mec"], team, "approved", meeting_date=meeting()).json()["id"])
    assert status_of(team) == "signed_off"
    response = c["author"].post(f"/api/signoffs/{ids[0]}/revocation", json={"reason": "policy text was wrong"})
    assert response.status_code == 200, response.text
    assert status_of(team) == "done"
    register = {r["id"]: r for r in team.clients["viewer"].get(team.url(f"/signoffs?item={KEY}")).json()}
    assert all(register[i]["revocation"] is not None for i in ids)
    assert register[ids[0]]["revocation"]["reason"] == "policy text was wrong"
    assert register[ids[2]]["revocation"]["reason"].startswith("voided: step 1 was revoked")
    rows = team.clients["champion"].get(team.url(f"/audit?item={KEY}")).json()["items"]
    assert sum(e["action"] == "signoff.revoked" for e in rows) == 3
    assert team.clients["administrator"].get("/api/audit/verify").json()["valid"] is True
    # the chain starts again from step 1
    assert sign_step(c["pt"], team, "approved", meeting_date=meeting()).status_code in (403, 422)
    assert sign_step(c["author"], team, "authored").status_code == 201


def test_revoking_a_middle_step_keeps_the_ones_before(session: Session, team: Team, client_for: Any) -> None:
    c = ready(session, team, client_for)
    first = sign_step(c["author"], team, "authored").json()["id"]
    second = sign_step(c["pt"], team, "approved", meeting_date=meeting()).json()["id"]
    assert c["pt"].post(f"/api/signoffs/{second}/revocation", json={"reason": "wrong minutes"}).status_code == 200
    register = {r["id"]: r for r in team.clients["viewer"].get(team.url(f"/signoffs?item={KEY}")).json()}
    assert register[first]["revocation"] is None and register[second]["revocation"] is not None
    assert sign_step(c["pt"], team, "approved", meeting_date=meeting()).status_code == 201


def test_the_queue_shows_each_person_the_step_waiting_for_them(
    session: Session, team: Team, client_for: Any
) -> None:
    c = ready(session, team, client_for)

    def queued(client: TestClient) -> list[str]:
        return [i["key"] for i in client.get("/api/me/work").json()["to_sign"]]

    assert KEY in queued(c["author"]) and KEY not in queued(c["pt"]) and KEY not in queued(c["mec"])
    sign_step(c["author"], team, "authored")
    assert KEY not in queued(c["author"]) and KEY in queued(c["pt"]) and KEY not in queued(c["mec"])
    sign_step(c["pt"], team, "approved", meeting_date=meeting())
    assert KEY not in queued(c["pt"]) and KEY in queued(c["mec"])
    counts = c["mec"].get("/api/me/work").json()["counts"]
    assert counts["to_sign"] == 1
    sign_step(c["mec"], team, "approved", meeting_date=meeting())
    assert KEY not in queued(c["mec"])


def test_a_step_naming_a_committee_not_set_up_cannot_be_signed(
    session: Session, team: Team, client_for: Any
) -> None:
    give_chain(session, team)
    attach(team, KEY, "committee_approval")
    mark_done(team, KEY)
    assert sign_step(team.clients["policy_lead"], team, "authored").status_code == 201
    response = sign_step(team.clients["champion"], team, "approved", meeting_date=meeting())
    assert response.status_code == 409 and "not set up" in response.json()["detail"]


def test_an_item_without_a_chain_refuses_chain_fields(team: Team) -> None:
    mark_done(team, "PAY-001")
    response = sign_step(team.clients["finance_lead"], team, "approved", key="PAY-001", step=1)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "step"]


def test_two_members_approving_the_same_step_at_once_give_one_signature(
    app: FastAPI, session: Session, team: Team, client_for: Any
) -> None:
    give_chain(session, team)
    people = [make_user(session, team.institution, roles=("viewer",), password=PASSWORD, full_name=f"Member {n}")
              for n in range(6)]
    committee(session, team, "pt", "Pharmacy and therapeutics committee", *people)
    committee(session, team, "mec", "Medical executive committee")
    attach(team, KEY, "committee_approval")
    mark_done(team, KEY)
    assert sign_step(team.clients["policy_lead"], team, "authored").status_code == 201
    version = version_of(team)
    tokens = [create_api_token(session, p, "race")[1] for p in people]
    barrier = Barrier(len(tokens))

    def attempt(token: str) -> int:
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            barrier.wait()
            return client.post(team.url(f"/items/{KEY}/signoffs"), json={
                "password": PASSWORD, "meaning": "approved", "version": version, "meeting_date": meeting()
            }).status_code

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        codes = sorted(pool.map(attempt, tokens))
    assert codes == [201] + [409] * (len(tokens) - 1), codes
    register = team.clients["viewer"].get(team.url(f"/signoffs?item={KEY}")).json()
    assert sorted(r["step"] for r in register) == [1, 2]
    assert team.clients["administrator"].get("/api/audit/verify").json()["valid"] is True


def test_another_institution_gets_404(session: Session, team: Team, client_for: Any, outsider: TestClient) -> None:
    ready(session, team, client_for)
    response = outsider.post(team.url(f"/items/{KEY}/signoffs"),
                             json={"password": PASSWORD, "meaning": "authored", "version": 1})
    assert response.status_code == 404


def test_the_report_register_shows_the_chain_step_by_step(session: Session, team: Team, client_for: Any) -> None:
    import io

    from pypdf import PdfReader

    c = ready(session, team, client_for)
    sign_step(c["author"], team, "authored")
    sign_step(c["pt"], team, "approved", meeting_date=meeting(2))
    sign_step(c["mec"], team, "approved", meeting_date=meeting(1))
    made = team.clients["champion"].post(team.url("/reports"), json={"kind": "full"})
    assert made.status_code == 201, made.text
    pdf = team.clients["viewer"].get(f"/api/reports/{made.json()['number']}/pdf").content
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "step 1 of 3: policy lead" in text
    assert f"step 2 of 3: on behalf of the Pharmacy and therapeutics committee, meeting of {meeting(2)}" in text
    assert "step 3 of 3: on behalf of the Medical executive committee" in text
