"""Comments on items: mentions of members only, edits as new versions with history, audited, private."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import Team
from tests.factories import make_institution, make_user

ITEM = "/items/PHARM-001/comments"


def test_a_comment_mentions_members_by_email_or_handle(team: Team) -> None:
    body = "Fridge qualified; @pharmacy_lead@riverside.example please check, and @finance_lead the invoice."
    response = team.clients["champion"].post(team.url(ITEM), json={"body": body})
    assert response.status_code == 201, response.text
    comment = response.json()
    assert comment["body"] == body and comment["author_name"] == "Program champion" and comment["version"] == 1
    assert {m["full_name"] for m in comment["mentions"]} == {"Pharmacy lead", "Finance lead"}
    listed = team.clients["viewer"].get(team.url(ITEM)).json()
    assert [c["id"] for c in listed] == [comment["id"]]


def test_mentions_of_people_outside_the_institution_are_ignored_and_not_revealed(
    team: Team, session: Session
) -> None:
    other = make_institution(session, "Elsewhere General")
    make_user(session, other, roles=("champion",), email="someone@elsewhere.example", full_name="Someone Else")
    champion = team.clients["champion"]
    real = champion.post(team.url(ITEM), json={"body": "ask @someone@elsewhere.example and @someone"}).json()
    invented = champion.post(team.url(ITEM), json={"body": "ask @nobody@elsewhere.example and @nobody"}).json()
    assert real["mentions"] == invented["mentions"] == []
    assert set(real) == set(invented)


def test_an_ambiguous_handle_mentions_nobody_but_the_email_does(
    team: Team, session: Session
) -> None:
    make_user(session, team.institution, roles=("viewer",), email="pharmacy_lead@annex.example", full_name="Annex")
    body = {"body": "@pharmacy_lead and @pharmacy_lead@annex.example"}
    comment = team.clients["champion"].post(team.url(ITEM), json=body).json()
    assert [m["full_name"] for m in comment["mentions"]] == ["Annex"]


def test_an_edit_is_a_new_version_shown_with_its_history(team: Team) -> None:
    lead = team.clients["pharmacy_lead"]
    first = lead.post(team.url(ITEM), json={"body": "Fridge arrives Monday"}).json()
    edited = lead.put(f"/api/comments/{first['id']}", json={"body": "Fridge arrives Tuesday", "version": 1})
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2 and edited.json()["edited_at"] is not None
    listed = team.clients["viewer"].get(team.url(ITEM)).json()
    assert len(listed) == 1
    assert listed[0]["body"] == "Fridge arrives Tuesday" and listed[0]["id"] == first["id"]
    assert [(v["version"], v["body"]) for v in listed[0]["history"]] == [(1, "Fridge arrives Monday")]


def test_an_edit_based_on_an_older_version_is_refused(team: Team) -> None:
    lead = team.clients["pharmacy_lead"]
    first = lead.post(team.url(ITEM), json={"body": "v1"}).json()
    assert lead.put(f"/api/comments/{first['id']}", json={"body": "v2", "version": 1}).status_code == 200
    stale = lead.put(f"/api/comments/{first['id']}", json={"body": "v2 again", "version": 1})
    assert stale.status_code == 409
    assert [c["body"] for c in lead.get(team.url(ITEM)).json()] == ["v2"]


def test_only_the_author_edits_a_comment(team: Team) -> None:
    first = team.clients["pharmacy_lead"].post(team.url(ITEM), json={"body": "mine"}).json()
    response = team.clients["champion"].put(f"/api/comments/{first['id']}", json={"body": "yours", "version": 1})
    assert response.status_code == 403


def test_viewers_read_comments_but_do_not_post(team: Team) -> None:
    assert team.clients["viewer"].post(team.url(ITEM), json={"body": "hello"}).status_code == 403
    assert team.clients["viewer"].get(team.url(ITEM)).status_code == 200


def test_a_blank_comment_is_refused(team: Team) -> None:
    response = team.clients["champion"].post(team.url(ITEM), json={"body": "   "})
    assert response.status_code == 422


def test_comments_of_another_institution_are_not_found(team: Team, outsider: TestClient) -> None:
    first = team.clients["champion"].post(team.url(ITEM), json={"body": "internal"}).json()
    assert outsider.get(team.url(ITEM)).status_code == 404
    assert outsider.post(team.url(ITEM), json={"body": "planted"}).status_code == 404
    assert outsider.put(f"/api/comments/{first['id']}", json={"body": "changed", "version": 1}).status_code == 404
    assert [c["body"] for c in team.clients["champion"].get(team.url(ITEM)).json()] == ["internal"]


def test_comments_and_their_edits_are_in_the_audit_trail(team: Team) -> None:
    lead = team.clients["pharmacy_lead"]
    first = lead.post(team.url(ITEM), json={"body": "@champion first"}).json()
    lead.put(f"/api/comments/{first['id']}", json={"body": "second", "version": 1})
    events = team.clients["champion"].get(team.url("/audit"), params={"limit": 100}).json()["items"]
    comments = [(e["action"], e["entity_key"], e["after"]["body"]) for e in events if e["entity"] == "comment"]
    assert sorted(comments) == [("comment.added", "PHARM-001", "@champion first"),
                                ("comment.edited", "PHARM-001", "second")]
    assert team.clients["champion"].get("/api/audit/verify").json()["valid"] is True


def test_a_comment_on_an_unknown_item_is_not_found(team: Team) -> None:
    assert team.clients["champion"].post(team.url("/items/PHARM-999/comments"), json={"body": "x"}).status_code == 404
