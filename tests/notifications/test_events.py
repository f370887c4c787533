"""Event-driven notifications: each reaches the right person, once, by email and in the app."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.notifications.models import NotificationKind
from app.notifications.service import notify
from tests.conftest import Team
from tests.notifications.conftest import BASE_URL, Mailbox
from tests.signoffs.test_signoff_rules import mark_done, sign


def patch_item(team: Team, key: str, who: str = "champion", **changes: Any) -> dict[str, Any]:
    client = team.clients[who]
    version = client.get(team.url(f"/items/{key}")).json()["version"]
    response = client.patch(team.url(f"/items/{key}"), json={**changes, "version": version})
    assert response.status_code == 200, response.text
    return dict(response.json())


def body(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def html(message: Any) -> str:
    return str(message.get_body(preferencelist=("html",)).get_content())


def inbox(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/api/me/notifications")
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["kind"] != "digest"]


def test_an_item_assigned_to_you_is_emailed_once_with_its_link(team: Team, mailbox: Mailbox, work: Any) -> None:
    owner = team.people["pharmacy_lead"]
    patch_item(team, "PAY-001", owner_id=str(owner.id))
    work()
    work()  # a second pass sends nothing again
    [message] = mailbox.to(owner.email)
    assert "PAY-001" in message["Subject"] and "assigned to you" in message["Subject"]
    link = f"{BASE_URL}/programs/{team.program.id}/items/PAY-001"
    assert link in body(message) and f'href="{link}"' in html(message)
    assert message["List-Unsubscribe"].startswith(f"<{BASE_URL}/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [shown] = inbox(team.clients["pharmacy_lead"])
    assert (shown["kind"], shown["state"], shown["read_at"]) == ("item_assigned", "sent", None)
    assert inbox(team.clients["champion"]) == []  # who made the change is not told


def test_assigning_yourself_tells_nobody(team: Team, mailbox: Mailbox, work: Any) -> None:
    patch_item(team, "PAY-001", who="champion", owner_id=str(team.people["champion"].id))
    work()
    assert mailbox.events() == []


def test_an_item_marked_done_tells_everyone_who_may_sign_it(team: Team, mailbox: Mailbox, work: Any) -> None:
    mark_done(team, "PAY-001")  # signed by the finance lead
    work()
    [message] = mailbox.to(team.people["finance_lead"].email)
    assert "PAY-001" in message["Subject"] and "awaits your sign-off" in message["Subject"]
    assert len(mailbox.events()) == 1
    [shown] = inbox(team.clients["finance_lead"])
    assert shown["kind"] == "ready_to_sign"


def test_marked_done_again_after_a_revocation_is_a_new_notification(team: Team, mailbox: Mailbox, work: Any) -> None:
    version = mark_done(team, "PAY-001")
    signoff = sign(team.clients["finance_lead"], team, "PAY-001", version).json()
    team.clients["champion"].post(f"/api/signoffs/{signoff['id']}/revocation", json={"reason": "wrong file"})
    patch_item(team, "PAY-001", status="in_progress")
    patch_item(team, "PAY-001", status="done")
    work()
    kinds = sorted(n["kind"] for n in inbox(team.clients["finance_lead"]))
    assert kinds == ["ready_to_sign", "ready_to_sign", "signoff_revoked"]


def test_a_revoked_signature_tells_its_signer_with_the_reason(team: Team, mailbox: Mailbox, work: Any) -> None:
    version = mark_done(team, "PAY-001")
    signoff = sign(team.clients["finance_lead"], team, "PAY-001", version).json()
    mailbox.messages.clear()
    response = team.clients["champion"].post(f"/api/signoffs/{signoff['id']}/revocation",
                                             json={"reason": "The payer contract <expired>"})
    assert response.status_code == 200, response.text
    work()
    revoked = [m for m in mailbox.to(team.people["finance_lead"].email) if "revoked" in m["Subject"]]
    [message] = revoked
    assert "Reason: The payer contract <expired>" in body(message)
    assert "The payer contract &lt;expired&gt;" in html(message)  # autoescaped


def test_revoking_your_own_signature_tells_nobody(team: Team, mailbox: Mailbox, work: Any) -> None:
    version = mark_done(team, "PAY-001")
    signoff = sign(team.clients["finance_lead"], team, "PAY-001", version).json()
    team.clients["finance_lead"].post(f"/api/signoffs/{signoff['id']}/revocation", json={"reason": "mine"})
    work()
    assert not [m for m in mailbox.events() if "revoked" in m["Subject"]]


def test_a_mention_announced_twice_is_one_notification(
    team: Team, session: Session, mailbox: Mailbox, work: Any
) -> None:
    person = team.people["policy_lead"]
    for _ in range(2):  # a retried request, or two replicas
        notify(session, person.id, NotificationKind.MENTIONED, subject="comment:42", title="Champion mentioned you",
               link=f"/programs/{team.program.id}/items/POL-001",
               context={"lines": ["@policy_lead can you check the policy?"]})
        session.commit()
    work()
    [message] = mailbox.to(person.email)
    assert "@policy_lead can you check the policy?" in body(message)
    assert [n["kind"] for n in inbox(team.clients["policy_lead"])] == ["mentioned"]


def test_marking_read_is_your_own_and_counts_down(team: Team, work: Any) -> None:
    patch_item(team, "PAY-001", owner_id=str(team.people["pharmacy_lead"].id))
    client = team.clients["pharmacy_lead"]
    listed = client.get("/api/me/notifications").json()
    assert listed["unread"] == 1  # a pharmacy lead gets no digest
    notification_id = listed["items"][0]["id"]
    assert team.clients["champion"].post(f"/api/me/notifications/{notification_id}/read").status_code == 404
    read = client.post(f"/api/me/notifications/{notification_id}/read")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert client.get("/api/me/notifications").json()["unread"] == 0
