"""Time-driven reminders: each threshold once, whoever runs the worker and however often; the digest; a constant
number of queries whatever the number of programs."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import Session, col

from app.clock import frozen_at, today
from app.notifications.scheduled import compute_reminders
from app.programs.models import ProgramItem
from tests import db_harness
from tests.conftest import Team
from tests.factories import make_institution, make_program, make_user
from tests.notifications.conftest import Mailbox
from tests.notifications.test_events import body, patch_item
from tests.signoffs.test_signoff_rules import attach, mark_done, sign


def at(day: date) -> Any:
    return frozen_at(datetime.combine(day, time(9), tzinfo=UTC))


def subjects(mailbox: Mailbox, email: str) -> list[str]:
    return [m["Subject"].strip().removeprefix("[gtready] ") for m in mailbox.to(email)]


def test_due_in_30_7_and_1_days_then_overdue_weekly_each_once(team: Team, mailbox: Mailbox, work: Any) -> None:
    lead = team.people["pharmacy_lead"]
    due = today() + timedelta(days=40)
    patch_item(team, "PAY-001", owner_id=str(lead.id), due_date=due.isoformat())
    mailbox.messages.clear()
    for days_before in (35, 30, 29, 20, 7, 5, 1, 0):
        with at(due - timedelta(days=days_before)):
            work()
            work()
    assert [s for s in subjects(mailbox, lead.email) if "assigned" not in s] == [
        "PAY-001 Prior authorisation workflow is due in 30 days",
        "PAY-001 Prior authorisation workflow is due in 7 days",
        "PAY-001 Prior authorisation workflow is due in 1 day",
    ]
    mailbox.messages.clear()
    for days_after in (1, 3, 7, 8, 14, 15):
        with at(due + timedelta(days=days_after)):
            work()
    overdue = subjects(mailbox, lead.email)
    assert overdue == [  # days 1, 8, 15
        f"PAY-001 Prior authorisation workflow is overdue (due {due.day} {due:%b %Y})"] * 3
    mailbox.messages.clear()
    with at(due + timedelta(days=16)):
        patch_item(team, "PAY-001", status="done")  # finished: no more reminders
    with at(due + timedelta(days=22)):
        work()
    assert subjects(mailbox, lead.email) == []


def test_a_new_due_date_starts_its_reminders_afresh(team: Team, mailbox: Mailbox, work: Any) -> None:
    lead = team.people["pharmacy_lead"]
    patch_item(team, "PAY-001", owner_id=str(lead.id), due_date=(today() + timedelta(days=3)).isoformat())
    work()
    patch_item(team, "PAY-001", due_date=(today() + timedelta(days=5)).isoformat())
    work()
    assert [s for s in subjects(mailbox, lead.email) if "assigned" not in s] == [
        "PAY-001 Prior authorisation workflow is due in 3 days",
        "PAY-001 Prior authorisation workflow is due in 5 days",
    ]


def test_a_sign_off_lapsing_tells_its_signer_at_30_and_7_days(team: Team, mailbox: Mailbox, work: Any) -> None:
    signer = team.people["policy_lead"]
    version = mark_done(team, "POL-002")
    assert sign(team.clients["policy_lead"], team, "POL-002", version).status_code == 201
    lapses = date.fromisoformat(team.clients["viewer"].get(team.url("/items/POL-002")).json()["lapses_on"])
    mailbox.messages.clear()
    for days_before in (40, 30, 12, 7, 2):
        with at(lapses - timedelta(days=days_before)):
            work()
    assert [s for s in subjects(mailbox, signer.email) if "lapses" in s] == [
        f"Your sign-off of POL-002 Annual staff refresher lapses on {lapses.day} {lapses:%b %Y}"] * 2
    assert f"Program: {team.program.title}" in body(mailbox.to(signer.email)[0])


def test_evidence_expiring_tells_its_uploader_once_when_first_seen_within_7_days(
    team: Team, mailbox: Mailbox, work: Any
) -> None:
    expires = today() + timedelta(days=6)
    attach(team, "PHARM-001", "equipment_qualification", name="fridge-qualification.pdf",
           expires_on=expires.isoformat())
    work()
    work()
    assert subjects(mailbox, team.people["champion"].email) == [
        f"Evidence fridge-qualification.pdf for PHARM-001 expires on {expires.day} {expires:%b %Y}"]


def test_the_weekly_digest_reaches_champions_on_their_day_with_readiness_change_and_slips(
    team: Team, mailbox: Mailbox, work: Any
) -> None:
    champion = team.people["champion"]
    thursday = today() + timedelta(days=(3 - today().weekday()) % 7 + 7)
    response = team.clients["champion"].patch("/api/me/notification-preferences", json={"digest_weekday": 3})
    assert response.json()["digest_weekday"] == 3
    patch_item(team, "PAY-001", owner_id=str(team.people["finance_lead"].id),
               due_date=(thursday - timedelta(days=2)).isoformat())
    with at(thursday - timedelta(days=1)):
        work()
    assert not [m for m in mailbox.messages if "Weekly digest" in m["Subject"]]  # not the champion's day
    with at(thursday):
        work()
        work()
    [first] = [m for m in mailbox.messages if "Weekly digest" in m["Subject"]]
    assert first["To"] == champion.email
    text = body(first)
    assert f"{team.program.title}: 0% ready; " in text
    assert "Slipped past their due date this week: PAY-001 Prior authorisation workflow" in text
    mailbox.messages.clear()
    with at(thursday + timedelta(days=1)):
        patch_item(team, "PAY-001", status="done")
    with at(thursday + timedelta(days=7)):
        work()
    [second] = [m for m in mailbox.messages if "Weekly digest" in m["Subject"]]
    assert "points since last digest" in body(second) and "+" in body(second)
    assert "Slipped" not in body(second)


def _programs_with_due_items(app: FastAPI, session: Session, count: int) -> None:
    institution = make_institution(session)
    owner = make_user(session, institution, roles=("pharmacy_lead", "champion"))
    ids = [make_program(session, app.state.catalog, institution).id for _ in range(count)]
    session.execute(update(ProgramItem).where(col(ProgramItem.program_id).in_(ids))
                    .values(owner_id=owner.id, due_date=today() + timedelta(days=3)))
    session.commit()


def test_computing_reminders_takes_the_same_number_of_queries_for_2_or_8_programs(
    app: FastAPI, session: Session
) -> None:
    counts = []
    for size in (2, 8):
        _programs_with_due_items(app, session, size)
        with db_harness.count_queries(app.state.engine) as statements:
            added = compute_reminders(session)
        assert added > 0
        counts.append(len(statements))
    assert counts[0] == counts[1] and counts[0] <= 12, counts
