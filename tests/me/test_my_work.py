"""My work: what needs a person now, in the API, on its page and counted in the header, in constant queries."""

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.clock import utcnow
from app.programs.models import ProgramItem
from tests.conftest import Team
from tests.db_harness import count_queries
from tests.factories import make_program
from tests.me.helpers import change, days, sign_pol_002


def keys(entries: list[dict[str, object]]) -> list[object]:
    return [entry["key"] for entry in entries]


def test_items_i_own_due_within_14_days_or_overdue_are_listed_soonest_first(team: Team) -> None:
    lead = team.people["pharmacy_lead"]
    change(team, "PHARM-001", owner_id=lead.id, due_date=days(10))
    change(team, "PHARM-002", owner_id=lead.id, due_date=days(-3))
    change(team, "PAY-001", owner_id=lead.id, due_date=days(15))  # not yet
    change(team, "POL-001", owner_id=team.people["policy_lead"].id, due_date=days(1))  # someone else's
    work = team.clients["pharmacy_lead"].get("/api/me/work").json()
    assert keys(work["due"]) == ["PHARM-002", "PHARM-001"]
    assert [w["overdue"] for w in work["due"]] == [True, False]
    assert work["counts"]["due"] == 2


def test_finished_items_are_not_due_work(team: Team) -> None:
    lead = team.people["pharmacy_lead"]
    change(team, "PHARM-001", owner_id=lead.id, due_date=days(2))
    change(team, "PHARM-001", status="not_applicable", na_justification="We do not store it")
    assert team.clients["pharmacy_lead"].get("/api/me/work").json()["due"] == []


def test_items_waiting_for_a_signature_from_a_role_i_hold(team: Team) -> None:
    change(team, "POL-001", status="done")
    change(team, "PHARM-001", status="done")
    assert keys(team.clients["policy_lead"].get("/api/me/work").json()["to_sign"]) == ["POL-001"]
    assert keys(team.clients["pharmacy_lead"].get("/api/me/work").json()["to_sign"]) == ["PHARM-001"]


def test_sign_offs_lapsing_within_30_days_of_items_i_own(team: Team) -> None:
    change(team, "POL-002", owner_id=team.people["policy_lead"].id)
    item = sign_pol_002(team, utcnow() - timedelta(days=345))  # 12-month renewal: lapses in about 20 days
    work = team.clients["policy_lead"].get("/api/me/work").json()
    assert keys(work["lapsing"]) == ["POL-002"] and work["lapsing"][0]["lapses_on"] == item["lapses_on"]
    assert team.clients["finance_lead"].get("/api/me/work").json()["lapsing"] == []


def test_a_sign_off_lapsing_later_than_30_days_is_not_listed(team: Team) -> None:
    change(team, "POL-002", owner_id=team.people["policy_lead"].id)
    sign_pol_002(team)
    assert team.clients["policy_lead"].get("/api/me/work").json()["lapsing"] == []


def test_evidence_i_uploaded_counts_for_lapsing_sign_offs(team: Team) -> None:
    response = team.clients["champion"].post(team.url("/items/POL-002/evidence"), data={"kind": "other"},
                                                 files={"file": ("minutes.txt", b"minutes\n", "text/plain")})
    assert response.status_code == 201, response.text
    sign_pol_002(team, utcnow() - timedelta(days=345))
    assert keys(team.clients["champion"].get("/api/me/work").json()["lapsing"]) == ["POL-002"]
    assert team.clients["finance_lead"].get("/api/me/work").json()["lapsing"] == []


def test_comments_that_mention_me_newest_version_only(team: Team) -> None:
    champion = team.clients["champion"]
    first = champion.post(team.url("/items/PHARM-001/comments"), json={"body": "@pharmacy_lead can you?"}).json()
    champion.post(team.url("/items/PAY-001/comments"), json={"body": "@finance_lead this one"})
    work = team.clients["pharmacy_lead"].get("/api/me/work").json()
    assert [(m["key"], m["body"], m["author_name"]) for m in work["mentions"]] == [
        ("PHARM-001", "@pharmacy_lead can you?", "Program champion")]
    champion.put(f"/api/comments/{first['id']}", json={"body": "never mind", "version": 1})
    assert team.clients["pharmacy_lead"].get("/api/me/work").json()["mentions"] == []


def test_work_in_an_institution_i_left_is_not_mine(team: Team, session: Session, app: FastAPI) -> None:
    lead = team.people["pharmacy_lead"]
    change(team, "PHARM-001", owner_id=lead.id, due_date=days(3))
    admin = team.clients["administrator"]
    response = admin.delete(f"/api/institutions/{team.institution.id}/members/{lead.id}/roles/pharmacy_lead")
    assert response.status_code in (200, 204), response.text
    assert team.clients["pharmacy_lead"].get("/api/me/work").json()["due"] == []


def test_my_work_takes_the_same_queries_for_one_item_or_two_hundred(
    app: FastAPI, team: Team, session: Session
) -> None:
    lead = team.people["pharmacy_lead"]
    change(team, "PHARM-001", owner_id=lead.id, due_date=days(1))
    client = team.clients["pharmacy_lead"]

    def statements() -> int:
        with count_queries(app.state.engine) as seen:
            assert client.get("/api/me/work").status_code == 200
            assert client.get("/me").status_code in (200, 303)
        return len(seen)

    few = statements()
    for _ in range(4):
        program = make_program(session, app.state.catalog, team.institution)
        session.add_all(ProgramItem(
            program_id=program.id, key=f"EXTRA-{n:03d}", position=100 + n, area="payer", title=f"Extra {n}",
            done_when="x", why="y", criticality="minor", weight=1, signoff_role="pharmacy_lead", owner_id=lead.id,
            due_date=days(n % 20 - 5), status="done" if n % 3 == 0 else "in_progress", references=["Seed"],
        ) for n in range(50))
        session.commit()
    assert len(client.get("/api/me/work").json()["due"]) > 100
    assert statements() == few


def test_the_header_counts_my_work_on_every_page(team: Team, app: FastAPI) -> None:
    from tests.security.conftest import web_login

    change(team, "PHARM-001", owner_id=team.people["pharmacy_lead"].id, due_date=days(2))
    change(team, "PHARM-002", status="done")
    with TestClient(app) as browser:
        web_login(browser, "pharmacy_lead@riverside.example")
        for path in ("/", "/libraries", "/account", f"/programs/{team.program.id}"):
            page = browser.get(path).text
            assert 'id="my-work-link"' in page and "2 waiting: 1 due or overdue, 1 to sign" in page, path
        page = browser.get("/me").text
        assert "PHARM-001" in page and "PHARM-002" in page and "Nobody has mentioned you" in page
