"""Private calendar feeds, read back with the icalendar library: the right dates, stable UIDs, a revocable secret."""

import re
from datetime import date, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar

from app.clock import utcnow
from tests.conftest import Team
from tests.me.helpers import change, days, sign_pol_002
from tests.security.conftest import web_login


def events(anonymous: TestClient, url: str) -> dict[str, tuple[str, date, int]]:
    """UID -> (summary, date, sequence) of the feed at `url`, fetched with no credentials at all."""
    response = anonymous.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): (str(e["SUMMARY"]), e.decoded("DTSTART"), int(e["SEQUENCE"]))
            for e in calendar.walk("VEVENT")}


def new_feed(team: Team, role: str, **body: str) -> dict[str, str]:
    response = team.clients[role].post("/api/me/calendar-feeds", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_my_feed_has_the_due_dates_of_items_i_own_and_the_lapse_dates_of_my_sign_offs(
    team: Team, anonymous: TestClient
) -> None:
    lead = team.people["policy_lead"]
    pol1 = change(team, "POL-001", owner_id=lead.id, due_date=days(9))
    change(team, "PHARM-001", owner_id=team.people["pharmacy_lead"].id, due_date=days(5))  # not mine
    signed = sign_pol_002(team)
    feed = new_feed(team, "policy_lead")
    found = events(anonymous, feed["url"])
    assert found == {
        f"{pol1['id']}-due@gtready": ("Due: POL-001 " + pol1["title"], days(9), pol1["version"]),
        f"{signed['id']}-lapse@gtready": ("Sign-off lapses: POL-002 " + signed["title"],
                                          date.fromisoformat(signed["lapses_on"]), signed["version"]),
    }


def test_an_event_moves_when_its_date_changes_keeping_its_uid(team: Team, anonymous: TestClient) -> None:
    lead = team.people["pharmacy_lead"]
    item = change(team, "PHARM-001", owner_id=lead.id, due_date=days(9))
    url = new_feed(team, "pharmacy_lead")["url"]
    uid = f"{item['id']}-due@gtready"
    before = events(anonymous, url)[uid]
    change(team, "PHARM-001", due_date=days(20))
    after = events(anonymous, url)[uid]
    assert len(events(anonymous, url)) == 1
    assert after[1] == days(20) and after[2] > before[2]


def test_a_signed_off_item_has_no_due_event(team: Team, anonymous: TestClient) -> None:
    change(team, "POL-002", owner_id=team.people["policy_lead"].id, due_date=days(3))
    sign_pol_002(team)
    summaries = [s for s, _, _ in events(anonymous, new_feed(team, "policy_lead")["url"]).values()]
    assert [s.split(":")[0] for s in summaries] == ["Sign-off lapses"]


def test_a_revoked_or_replaced_feed_address_answers_404(team: Team, anonymous: TestClient) -> None:
    first = new_feed(team, "champion")
    second = new_feed(team, "champion")  # replaces the first
    assert anonymous.get(first["url"]).status_code == 404
    assert anonymous.get(second["url"]).status_code == 200
    assert [f["id"] for f in team.clients["champion"].get("/api/me/calendar-feeds").json()] == [second["id"]]
    assert team.clients["champion"].delete(f"/api/me/calendar-feeds/{second['id']}").status_code == 204
    assert anonymous.get(second["url"]).status_code == 404
    assert anonymous.get(second["url"].replace("cal_", "cal_x")).status_code == 404


def test_only_a_hash_of_the_address_is_kept_and_it_is_listed_by_prefix(team: Team, app: FastAPI) -> None:
    feed = new_feed(team, "champion")
    token = feed["url"].rsplit("/", 1)[1].removesuffix(".ics")
    listed = team.clients["champion"].get("/api/me/calendar-feeds").json()
    assert "url" not in listed[0] and token.startswith(listed[0]["prefix"])
    with app.state.engine.connect() as connection:
        from sqlalchemy import text
        stored = connection.execute(text("SELECT token_hash FROM calendar_feeds")).scalars().all()
    assert token not in stored and len(stored) == 1


def test_a_program_feed_is_for_champions_and_covers_every_item(team: Team, anonymous: TestClient) -> None:
    change(team, "POL-001", owner_id=team.people["policy_lead"].id, due_date=days(9))
    change(team, "PHARM-001", due_date=days(4))
    refused = team.clients["pharmacy_lead"].post("/api/me/calendar-feeds", json={"program_id": str(team.program.id)})
    assert refused.status_code == 403
    feed = new_feed(team, "champion", program_id=str(team.program.id))
    assert sorted(s.split(" ")[1] for s, _, _ in events(anonymous, feed["url"]).values()) == ["PHARM-001", "POL-001"]


def test_a_program_feed_of_another_institution_is_not_found(team: Team, outsider: TestClient) -> None:
    response = outsider.post("/api/me/calendar-feeds", json={"program_id": str(team.program.id)})
    assert response.status_code == 404


def test_a_feed_stops_showing_a_program_once_its_person_leaves(team: Team, anonymous: TestClient) -> None:
    feed = new_feed(team, "champion", program_id=str(team.program.id))
    change(team, "PHARM-001", due_date=days(4))
    champion = team.people["champion"]
    team.clients["administrator"].delete(f"/api/institutions/{team.institution.id}/members/{champion.id}/roles/champion")
    assert events(anonymous, feed["url"]) == {}


def test_the_feed_address_is_managed_on_my_account(team: Team, app: FastAPI) -> None:
    change(team, "PHARM-001", owner_id=team.people["pharmacy_lead"].id, due_date=utcnow().date() + timedelta(days=3))
    with TestClient(app) as browser:
        csrf = web_login(browser, "pharmacy_lead@riverside.example")
        assert "Create feed address" in browser.get("/account").text
        created = browser.post("/account/calendar-feeds", data={"csrf_token": csrf})
        assert created.status_code == 201
        url = re.search(r'id="feed-url">([^<]+)<', created.text)
        assert url and "/calendar/cal_" in url.group(1)
        account = browser.get("/account").text
        assert url.group(1) not in account and "My due dates and sign-off lapses" in account
        feed_id = re.search(r'/account/calendar-feeds/([0-9a-f-]+)/revoke', account)
        assert feed_id
        with TestClient(app) as calendar_app:
            assert calendar_app.get(url.group(1)).status_code == 200
            browser.post(f"/account/calendar-feeds/{feed_id.group(1)}/revoke", data={"csrf_token": csrf})
            assert calendar_app.get(url.group(1)).status_code == 404
