"""Each person chooses per kind: email, in the app only, or off; every email unsubscribes its kind in one click."""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Team
from tests.notifications.conftest import BASE_URL, Mailbox
from tests.notifications.test_events import body, inbox, patch_item
from tests.web.form_client import as_role


def preferences(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/me/notification-preferences")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_defaults_are_email_for_every_kind_and_monday_digests(team: Team) -> None:
    prefs = preferences(team.clients["viewer"])
    assert set(prefs["channels"].values()) == {"email"} and "mentioned" in prefs["channels"]
    assert (prefs["digest_weekday"], prefs["email_enabled"]) == (0, True)


def test_in_the_app_only_and_off(team: Team, mailbox: Mailbox, work: Any) -> None:
    lead = team.clients["pharmacy_lead"]
    changed = lead.patch("/api/me/notification-preferences", json={"channels": {"item_assigned": "app"}})
    assert changed.status_code == 200 and changed.json()["channels"]["item_assigned"] == "app"
    patch_item(team, "PAY-001", owner_id=str(team.people["pharmacy_lead"].id))
    work()
    assert mailbox.to(team.people["pharmacy_lead"].email) == []
    assert [n["state"] for n in inbox(lead)] == ["in_app"]
    lead.patch("/api/me/notification-preferences", json={"channels": {"item_assigned": "off"}})
    patch_item(team, "POL-001", owner_id=str(team.people["pharmacy_lead"].id))
    work()
    assert len(inbox(lead)) == 1  # the second assignment was not recorded at all


def test_unknown_kinds_channels_and_days_are_422(team: Team) -> None:
    client = team.clients["viewer"]
    for body_ in ({"channels": {"telepathy": "email"}}, {"channels": {"due_soon": "pigeon"}}, {"digest_weekday": 7}):
        assert client.patch("/api/me/notification-preferences", json=body_).status_code == 422


def test_the_unsubscribe_link_asks_then_stops_that_kind_by_email_only(
    app: FastAPI, team: Team, mailbox: Mailbox, work: Any
) -> None:
    lead = team.people["pharmacy_lead"]
    patch_item(team, "PAY-001", owner_id=str(lead.id))
    work()
    [message] = mailbox.to(lead.email)
    found = re.search(rf"Stop these emails: {re.escape(BASE_URL)}(/notifications/unsubscribe/\S+)", body(message))
    assert found
    path = found.group(1)
    browser = TestClient(app)  # no login
    page = browser.get(path)
    assert page.status_code == 200 and "Stop emails for: An item is assigned to me?" in page.text
    assert preferences(team.clients["pharmacy_lead"])["channels"]["item_assigned"] == "email"  # a GET changes nothing
    done = browser.post(path)
    assert done.status_code == 200 and "You will no longer receive emails for" in done.text
    prefs = preferences(team.clients["pharmacy_lead"])["channels"]
    assert prefs["item_assigned"] == "app" and prefs["due_soon"] == "email"  # only that kind
    patch_item(team, "POL-001", owner_id=str(lead.id))
    work()
    assert len(mailbox.to(lead.email)) == 1  # no new email ...
    assert len(inbox(team.clients["pharmacy_lead"])) == 2  # ... but it is in the app


def test_one_click_post_from_a_mail_client_and_forged_links(
    app: FastAPI, team: Team, mailbox: Mailbox, work: Any
) -> None:
    lead = team.people["pharmacy_lead"]
    patch_item(team, "PAY-001", owner_id=str(lead.id))
    work()
    [message] = mailbox.to(lead.email)
    url = message["List-Unsubscribe"].strip("<>").removeprefix(BASE_URL)
    client = TestClient(app)
    user_id, kind, signature = url.rsplit("/", 1)[1].split(".")
    other = team.people["finance_lead"].id
    for forged in (f"{other}.{kind}.{signature}", f"{user_id}.due_soon.{signature}", f"{user_id}.{kind}.{'0' * 32}",
                   "nonsense"):
        assert client.post(f"/notifications/unsubscribe/{forged}").status_code == 404
    response = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert preferences(team.clients["pharmacy_lead"])["channels"]["item_assigned"] == "app"


def test_the_account_page_saves_channels_and_the_digest_day(app: FastAPI, team: Team) -> None:
    person = as_role(app, team, "champion")
    page = person.get("/account")
    assert 'id="notifications"' in page.text and "Weekly digest day" in page.text
    saved = person.post("/account/notifications", {"channel_due_soon": "off", "channel_digest": "app",
                                                   "digest_weekday": "4"})
    assert saved.status_code == 303
    prefs = preferences(team.clients["champion"])
    assert (prefs["channels"]["due_soon"], prefs["channels"]["digest"], prefs["digest_weekday"]) == ("off", "app", 4)
    assert 'value="4" selected' in person.get("/account").text


def test_the_header_counts_unread_and_the_page_lists_and_opens_them(app: FastAPI, team: Team) -> None:
    patch_item(team, "PAY-001", owner_id=str(team.people["pharmacy_lead"].id))
    person = as_role(app, team, "pharmacy_lead")
    home = person.get("/")
    assert re.search(r'id="notifications-link"[^>]*>Notifications <span class="badge" aria-label="1 unread">1</span>',
                     home.text)
    page = person.get("/notifications")
    assert "PAY-001 Prior authorisation workflow is assigned to you" in page.text
    notification_id = inbox(team.clients["pharmacy_lead"])[0]["id"]
    opened = person.post(f"/notifications/{notification_id}/read", {})
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/programs/{team.program.id}/items/PAY-001"
    assert 'aria-label="1 unread"' not in person.get("/").text
