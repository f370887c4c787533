"""Global search: items by key and title, evidence files by name, people by name and email, reports by number,
only in the searcher's institutions; the search text is taken literally (LIKE wildcards match themselves)."""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import PASSWORD, Team
from tests.factories import make_user
from tests.security.conftest import Intruder, web_login


def upload(team: Team, key: str, name: str, role: str = "champion") -> dict[str, Any]:
    response = team.clients[role].post(team.url(f"/items/{key}/evidence"), data={"kind": "other"},
                                       files={"file": (name, b"plain text evidence\n", "text/plain")})
    assert response.status_code == 201, response.text
    return dict(response.json())


def search(client: TestClient, q: str) -> dict[str, Any]:
    response = client.get("/api/search", params={"q": q})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_search_finds_items_files_people_and_reports(team: Team) -> None:
    viewer = team.clients["viewer"]
    upload(team, "PAY-001", "Payer-contract-2026.pdf.txt")
    report = team.clients["champion"].post(team.url("/reports"), json={"kind": "executive"}).json()

    by_key = search(viewer, "pay-001")["items"]
    assert [(h["key"], h["program_id"]) for h in by_key["results"]] == [("PAY-001", str(team.program.id))]
    titles = search(viewer, "storage QUALIFIED")["items"]["results"]
    assert [h["key"] for h in titles] == ["PHARM-001"] and titles[0]["title"] == "Storage qualified"

    files = search(viewer, "contract 2026")["evidence"]["results"]
    assert [(f["file_name"], f["item_key"], f["withdrawn"]) for f in files] == [
        ("Payer-contract-2026.pdf.txt", "PAY-001", False)]

    people = search(viewer, "pharmacy_lead@riverside")["people"]["results"]
    assert [(p["email"], p["roles"], p["institution_name"]) for p in people] == [
        ("pharmacy_lead@riverside.example", ["pharmacy_lead"], team.institution.name)]
    assert [p["email"] for p in search(viewer, team.people["finance_lead"].full_name)["people"]["results"]] == [
        "finance_lead@riverside.example"]

    reports = search(viewer, report["number"][-6:])["reports"]["results"]
    assert [(r["number"], r["program_title"], r["final"]) for r in reports] == [
        (report["number"], team.program.title, False)]


def test_every_word_must_match_and_nothing_matches_nothing(team: Team) -> None:
    viewer = team.clients["viewer"]
    assert [h["key"] for h in search(viewer, "storage sop")["items"]["results"]] == []
    assert [h["key"] for h in search(viewer, "sop pharm")["items"]["results"]] == ["PHARM-002"]
    assert [h["key"] for h in search(viewer, "freezer")["items"]["results"]] == []  # not in this program's scope
    empty = search(viewer, "   ")
    assert empty["q"] == "" and all(empty[g]["results"] == [] for g in ("items", "evidence", "people", "reports"))


def test_withdrawn_files_are_found_and_marked(team: Team) -> None:
    evidence = upload(team, "PAY-001", "old-minutes.txt")
    assert team.clients["champion"].delete(f"/api/evidence/{evidence['id']}").status_code in (200, 204)
    [found] = search(team.clients["viewer"], "old-minutes")["evidence"]["results"]
    assert found["withdrawn"] is True


@pytest.mark.parametrize("typed", ["%", "_", "%_", "\\", "%done", "100%", "a_b"])
def test_like_wildcards_in_the_search_text_match_themselves(session: Session, team: Team, typed: str) -> None:
    files = [upload(team, "PAY-001", name)["original_name"] for name in ("100%_done.txt", "ordinary-notes.txt")]
    people = ["Ann 100%_done", "Bo Ordinary", "Cy back\\slash", "Di a_b"]
    for name in people:
        make_user(session, team.institution, roles=("viewer",), full_name=name)
    found = search(team.clients["viewer"], typed)
    assert sorted(f["file_name"] for f in found["evidence"]["results"]) == sorted(n for n in files if typed in n)
    hits = found["people"]["results"]
    assert sorted(p["full_name"] for p in hits if p["full_name"] in people) == sorted(n for n in people if typed in n)
    assert all(typed in p["full_name"] or typed in p["email"] for p in hits)  # team emails hold "_" (pharmacy_lead)
    assert found["items"]["results"] == []  # no key or title holds % _ or \\


def test_each_group_is_capped_and_says_there_is_more(session: Session, team: Team) -> None:
    for n in range(12):
        make_user(session, team.institution, roles=("viewer",), full_name=f"Night nurse {n:02d}")
    people = search(team.clients["viewer"], "night nurse")["people"]
    assert len(people["results"]) == 10 and people["more"] is True
    assert [p["full_name"] for p in people["results"]] == [f"Night nurse {n:02d}" for n in range(10)]
    one = search(team.clients["viewer"], "night nurse 11")["people"]
    assert [p["full_name"] for p in one["results"]] == ["Night nurse 11"] and one["more"] is False


def test_a_person_with_several_roles_is_one_result_with_every_role(session: Session, team: Team) -> None:
    make_user(session, team.institution, roles=("champion", "finance_lead"), full_name="Dana Two-Hats")
    [dana] = search(team.clients["viewer"], "two-hats")["people"]["results"]
    assert dana["roles"] == ["champion", "finance_lead"]


@pytest.mark.parametrize("q", ["", "x" * 101, "a\x00b"])
def test_a_missing_too_long_or_nul_search_text_is_a_422_naming_q(team: Team, q: str) -> None:
    response = team.clients["viewer"].get("/api/search", params={"q": q})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "q"]


def test_search_needs_a_login(anonymous: TestClient) -> None:
    assert anonymous.get("/api/search", params={"q": "pay"}).status_code == 401


def test_search_never_shows_another_institutions_records(team: Team, intruder: Intruder) -> None:
    """The intruder holds every role in their own institution, whose program has the same library items."""
    upload(team, "PAY-001", "riverside-secret-contract.txt")
    report = team.clients["champion"].post(team.url("/reports"), json={"kind": "executive"}).json()
    for q in ("riverside-secret", "riverside.example", team.people["champion"].full_name, report["number"],
              "PAY-001"):
        found = search(intruder.client, q)
        assert all(str(team.program.id) not in str(hit) and team.institution.name not in str(hit)
                   for group in ("items", "evidence", "people", "reports") for hit in found[group]["results"]), q
    own = search(intruder.client, "PAY-001")["items"]["results"]
    assert len(own) == 1 and own[0]["program_id"] != str(team.program.id)  # their own program's item, only
    assert search(intruder.client, "riverside")["people"]["results"] == []
    assert search(team.clients["viewer"], "elsewhere")["people"]["results"] == []
    assert search(team.clients["viewer"], "intruder")["people"]["results"] == []


def test_the_search_page_groups_results_with_links(app: FastAPI, team: Team) -> None:
    upload(team, "PAY-001", "payer-letter.txt")
    with TestClient(app) as browser:
        web_login(browser, team.people["viewer"].email, PASSWORD)
        page = browser.get("/search", params={"q": "pay"})
        assert page.status_code == 200
        html = page.text
        assert f'href="/programs/{team.program.id}/items/PAY-001"' in html
        assert "payer-letter.txt" in html and 'href="/api/evidence/' in html
        assert 'value="pay"' in html  # the header's box and the page's keep what was typed
        assert browser.get("/", params={}).text.count('role="search"') == 1  # every page's header has the box
        nothing = browser.get("/search", params={"q": "zzz-no-such-thing"}).text
        assert "Nothing matches “zzz-no-such-thing”" in nothing
        too_long = browser.get("/search", params={"q": "y" * 150})
        assert too_long.status_code == 422 and "use at most 100" in too_long.text
        assert browser.get("/search").status_code == 200  # the empty form


def test_the_search_page_shows_nothing_of_another_institution(app: FastAPI, team: Team, intruder: Intruder) -> None:
    upload(team, "PAY-001", "riverside-only-file.txt")
    with TestClient(app) as browser:
        web_login(browser, intruder.user.email, PASSWORD)
        html = browser.get("/search", params={"q": "riverside"}).text
    assert "riverside-only-file.txt" not in html and "riverside.example" not in html
