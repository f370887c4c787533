"""Delivery loses nothing and sends nothing twice: a server down or refusing, workers racing, mail switched off."""

import re
import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.cli import cli
from app.clock import frozen_at, utcnow
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.notifications.models import NotificationKind
from app.notifications.service import notify
from app.notifications.worker import run_once
from tests.conftest import Team
from tests.notifications.conftest import Mailbox, SmtpServer
from tests.notifications.test_events import body, inbox, patch_item
from tests.web.form_client import as_role


def no_digest(team: Team) -> None:
    """The champion turns the weekly digest off, so a run on their digest day sends only what the test makes."""
    response = team.clients["champion"].patch("/api/me/notification-preferences", json={"channels": {"digest": "off"}})
    assert response.status_code == 200, response.text


def mention(session: Session, team: Team, role: str, n: int) -> None:
    notify(session, team.people[role].id, NotificationKind.MENTIONED, subject=f"comment:{n}",
           title=f"Mentioned in comment {n}", link=f"/programs/{team.program.id}/items/PAY-001")
    session.commit()


def test_a_server_that_is_down_gets_the_email_once_when_it_is_back(
    team: Team, session: Session, smtp: SmtpServer, work: Any
) -> None:
    no_digest(team)
    smtp.stop()
    mention(session, team, "finance_lead", 1)
    start = utcnow()
    assert work().retried == 1  # refused connection: back in the queue, nothing lost, the worker carries on
    [waiting] = inbox(team.clients["finance_lead"])
    assert (waiting["state"], waiting["attempts"]) == ("queued", 1)
    assert "ConnectionRefusedError" in waiting["last_error"]
    smtp.start()
    assert work().sent == 0  # not before its backoff (60 s)
    with frozen_at(start + timedelta(seconds=61)):
        assert work().sent == 1
    with frozen_at(start + timedelta(hours=1)):
        work()
    [message] = smtp.mailbox.to(team.people["finance_lead"].email)
    assert message["Subject"] == "[gtready] Mentioned in comment 1"
    [sent] = inbox(team.clients["finance_lead"])
    assert (sent["state"], sent["attempts"], sent["last_error"]) == ("sent", 2, "")


def test_a_refusing_server_makes_it_failed_after_the_last_try_with_doubling_waits(
    team: Team, session: Session, mailbox: Mailbox, work: Any
) -> None:
    no_digest(team)
    mailbox.refuse = True
    mention(session, team, "finance_lead", 1)
    start = utcnow()
    assert work().retried == 1
    with frozen_at(start + timedelta(seconds=61)):
        assert work().retried == 1
    with frozen_at(start + timedelta(seconds=61 + 119)):
        assert work().sent + work().failed == 0  # the second wait is 120 s, not 60
    with frozen_at(start + timedelta(seconds=61 + 121)):
        assert work().failed == 1
    with frozen_at(start + timedelta(days=1)):
        assert work().failed == 0  # failed is final: never retried by itself
    [failed] = inbox(team.clients["finance_lead"])
    assert (failed["state"], failed["attempts"]) == ("failed", 3)
    assert "554" in failed["last_error"] and "refused" in failed["last_error"]
    assert mailbox.messages == []
    audited = session.scalars(select(AuditEvent).where(col(AuditEvent.action) == "notification.failed")).all()
    assert [e.after["to"] for e in audited] == [team.people["finance_lead"].email]


def test_sending_is_audited_without_the_body(team: Team, session: Session, mailbox: Mailbox, work: Any) -> None:
    no_digest(team)
    mention(session, team, "finance_lead", 7)
    work()
    [event] = session.scalars(select(AuditEvent).where(col(AuditEvent.action) == "notification.sent")).all()
    assert event.after["to"] == team.people["finance_lead"].email and event.after["kind"] == "mentioned"
    assert "Mentioned in comment 7" not in str(event.after)


def test_two_workers_racing_send_every_email_exactly_once(
    app: FastAPI, team: Team, session: Session, mailbox: Mailbox, settings: Settings
) -> None:
    lead = team.people["pharmacy_lead"]
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    for key in ("PAY-001", "POL-001", "POL-002"):  # assigned (event) and due tomorrow (computed by both workers)
        patch_item(team, key, owner_id=str(lead.id), due_date=tomorrow)
    for n in range(20):
        mention(session, team, "pharmacy_lead", n)
    engines = [make_engine(settings), make_engine(settings)]
    barrier = threading.Barrier(2)
    errors: list[str] = []

    def worker(index: int) -> None:
        barrier.wait()
        errors.extend(run_once(engines[index], settings).errors)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()
    assert errors == []
    subjects = [m["Subject"] for m in mailbox.to(lead.email)]
    assert len(subjects) == 3 + 3 + 20, subjects
    assert len(set(subjects)) == len(subjects)


def test_without_mail_settings_notifications_stay_in_the_app_and_the_admin_page_says_email_is_off(
    team: Team, session: Session, mailbox: Mailbox, settings: Settings
) -> None:
    quiet = create_app(settings.model_copy(update={"smtp_host": ""}))
    try:
        mention(session, team, "finance_lead", 1)
        run_once(quiet.state.engine, quiet.state.settings)
        [shown] = inbox(team.clients["finance_lead"])
        assert shown["state"] == "in_app"
        assert mailbox.messages == []
        admin = as_role(quiet, team, "administrator")
        page = admin.get(f"/institutions/{team.institution.id}/admin")
        assert "Email is off" in page.text
    finally:
        quiet.state.engine.dispose()


def test_an_invitation_is_emailed_with_its_link_which_is_then_forgotten(
    app: FastAPI, team: Team, session: Session, mailbox: Mailbox, work: Any
) -> None:
    admin = as_role(app, team, "administrator")
    page = admin.get(f"/institutions/{team.institution.id}/admin")
    assert "Email is on" in page.text
    created = admin.post(f"/institutions/{team.institution.id}/admin/invitations",
                         data={"email": "noor@riverside.example", "full_name": "Noor Haddad", "roles": "viewer"})
    assert created.status_code == 201, created.text
    shown_link = re.search(r'id="invitation-link"[^>]*value="([^"]+)"', created.text)
    assert shown_link  # the copyable link stays
    work()
    [message] = mailbox.to("noor@riverside.example")
    link = re.search(r"http://gtready\.test(/invitations/\S+)", body(message))
    assert link and shown_link.group(1).endswith(link.group(1))
    assert "List-Unsubscribe" not in message  # nobody to unsubscribe yet
    assert TestClient(app).get(link.group(1)).status_code == 200
    from app.notifications.models import Notification

    [row] = session.scalars(select(Notification).where(col(Notification.kind) == "invitation")).all()
    session.refresh(row)
    assert (row.state, row.link, row.context) == ("sent", "", {})


def test_notify_test_sends_a_message_and_says_when_mail_is_off(
    monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer
) -> None:
    runner = CliRunner()
    monkeypatch.delenv("GTREADY_SMTP_HOST", raising=False)
    off = runner.invoke(cli, ["notify", "test", "ops@hospital.example"])
    assert off.exit_code == 1 and "email is off" in off.output
    for name, value in {"HOST": "127.0.0.1", "PORT": str(smtp.port), "TLS": "none",
                        "SENDER": "gtready <noreply@gtready.test>"}.items():
        monkeypatch.setenv(f"GTREADY_SMTP_{name}", value)
    sent = runner.invoke(cli, ["notify", "test", "ops@hospital.example"])
    assert sent.exit_code == 0, sent.output
    [message] = smtp.mailbox.to("ops@hospital.example")
    assert message["Subject"] == "[gtready] Test message"
    smtp.stop()
    down = runner.invoke(cli, ["notify", "test", "ops@hospital.example"])
    assert down.exit_code == 1 and "did not accept" in down.output


def test_gtready_worker_once_sends_what_is_queued(
    monkeypatch: pytest.MonkeyPatch, team: Team, session: Session, smtp: SmtpServer, settings: Settings
) -> None:
    mention(session, team, "finance_lead", 3)
    for name, value in {"DATABASE_URL": settings.database_url, "GTREADY_DATA_DIR": str(settings.data_dir),
                        "GTREADY_SMTP_HOST": "127.0.0.1", "GTREADY_SMTP_PORT": str(smtp.port),
                        "GTREADY_SMTP_TLS": "none"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent" in result.output
    assert len(smtp.mailbox.to(team.people["finance_lead"].email)) == 1


def test_an_invitation_made_through_the_api_is_emailed_too(team: Team, mailbox: Mailbox, work: Any) -> None:
    response = team.clients["administrator"].post(
        f"/api/institutions/{team.institution.id}/invitations",
        json={"email": "sam@riverside.example", "full_name": "Sam Okafor", "roles": ["viewer"]})
    assert response.status_code == 201, response.text
    work()
    [message] = mailbox.to("sam@riverside.example")
    assert response.json()["link"].endswith(re.search(r"(/invitations/\S+)", body(message)).group(1))  # type: ignore[union-attr]
