"""The item page shows the item's comments (with a form that works without JavaScript) and its own history."""

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Team
from tests.me.helpers import change, days, sign_pol_002
from tests.security.conftest import web_login


def test_commenting_from_the_item_page_without_javascript(team: Team, app: FastAPI) -> None:
    with TestClient(app) as browser:
        csrf = web_login(browser, "pharmacy_lead@riverside.example")
        path = f"/programs/{team.program.id}/items/PHARM-001"
        posted = browser.post(f"{path}/comments", data={"csrf_token": csrf,
                                                        "body": "Done once @champion signs <b>this</b>"},
                              follow_redirects=False)
        assert posted.status_code == 303 and "#comment-" in posted.headers["location"]
        page = browser.get(path).text
        assert "Done once @champion signs &lt;b&gt;this&lt;/b&gt;" in page
        assert "Mentions: Program champion" in page
        comment_id = re.search(r'id="comment-([0-9a-f-]+)"', page)
        assert comment_id
        edited = browser.post(f"/comments/{comment_id.group(1)}/edit",
                              data={"csrf_token": csrf, "version": "1", "body": "Signed, thanks"})
        assert edited.status_code == 200
        page = edited.text
        assert "Signed, thanks" in page and "Earlier versions (1)" in page and "edited " in page
        assert "Version 1" in page and "Done once @champion signs" in page


def test_a_blank_comment_keeps_the_page_and_says_why(team: Team, app: FastAPI) -> None:
    with TestClient(app) as browser:
        csrf = web_login(browser, "pharmacy_lead@riverside.example")
        response = browser.post(f"/programs/{team.program.id}/items/PHARM-001/comments",
                                data={"csrf_token": csrf, "body": "  "})
        assert response.status_code == 422 and "Write something to comment." in response.text


def test_a_comment_form_without_the_csrf_token_is_refused(team: Team, app: FastAPI) -> None:
    with TestClient(app) as browser:
        web_login(browser, "pharmacy_lead@riverside.example")
        response = browser.post(f"/programs/{team.program.id}/items/PHARM-001/comments", data={"body": "x"})
        assert response.status_code == 403
        assert team.clients["champion"].get(team.url("/items/PHARM-001/comments")).json() == []


def test_a_viewer_sees_comments_but_no_form(team: Team, app: FastAPI) -> None:
    team.clients["champion"].post(team.url("/items/PHARM-001/comments"), json={"body": "for everyone"})
    with TestClient(app) as browser:
        web_login(browser, "viewer@riverside.example")
        page = browser.get(f"/programs/{team.program.id}/items/PHARM-001").text
        assert "for everyone" in page and "Add a comment" not in page


def test_the_item_page_tells_the_items_own_history(team: Team, app: FastAPI) -> None:
    change(team, "POL-002", owner_id=team.people["policy_lead"].id, due_date=days(7))
    change(team, "POL-001", notes="someone else's item")
    team.clients["champion"].post(team.url("/items/POL-002/evidence"), data={"kind": "other"},
                                  files={"file": ("minutes.txt", b"minutes\n", "text/plain")})
    signed = sign_pol_002(team)
    signoff_id = team.clients["champion"].get(team.url("/signoffs"), params={"item": "POL-002"}).json()[0]["id"]
    revoked = team.clients["policy_lead"].post(f"/api/signoffs/{signoff_id}/revocation",
                                               json={"reason": "Wrong policy version"})
    assert revoked.status_code == 200, revoked.text
    team.clients["champion"].post(team.url("/items/POL-002/comments"), json={"body": "Please re-sign"})
    with TestClient(app) as browser:
        web_login(browser, "viewer@riverside.example")
        page = browser.get(f"/programs/{team.program.id}/items/POL-002").text
    history = page[page.index('id="item-history-heading"'):]
    expected = [
        f"assigned it to Policy lead; set the due date to {days(7).isoformat()}",
        "attached evidence: minutes.txt",
        "set the status to “done, awaiting sign-off”",
        "signed it off as approved",
        "revoked the sign-off: Wrong policy version",
        "commented",
    ]
    positions = [history.find(words) for words in expected]
    assert all(p >= 0 for p in positions), list(zip(expected, positions, strict=True))
    assert positions == sorted(positions, reverse=True)  # newest first
    assert "someone else" not in history and signed["key"] == "POL-002"
