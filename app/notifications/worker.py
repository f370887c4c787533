"""The notifications pass of the worker (app/worker.py): computes the reminders that are due and sends queued
emails, each exactly once.

Several workers (and replicas) may run at once. Reminders are recorded once by their unique delivery key; a
queued email is claimed by one worker before it is sent (`FOR UPDATE SKIP LOCKED` on PostgreSQL, an UPDATE
guarded by its state on SQLite), so no two workers send it. A refused or failed send goes back to the queue with
a doubling wait; after the last try it shows as failed. An error never stops the loop.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from app.audit.service import record_event
from app.clock import utcnow
from app.config import Settings
from app.notifications.delivery import send_email
from app.notifications.messaging import email_message
from app.notifications.models import DeliveryState, Notification, NotificationKind
from app.notifications.scheduled import compute_reminders

log = logging.getLogger("gtready.worker")
BATCH = 50
STALE_CLAIM = timedelta(minutes=15)  # a worker that died mid-send: its claim returns to the queue


@dataclass
class RunResult:
    reminders: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def claim(session: Session, limit: int = BATCH) -> list[Notification]:
    """Queued emails whose time has come, claimed for this worker alone (committed before sending)."""
    now = utcnow()
    session.execute(  # give back claims of a worker that died mid-send
        update(Notification)
        .where(col(Notification.state) == DeliveryState.SENDING, col(Notification.claimed_at) < now - STALE_CLAIM)
        .values(state=DeliveryState.QUEUED)
    )
    due = (
        select(col(Notification.id))
        .where(col(Notification.state) == DeliveryState.QUEUED, col(Notification.next_attempt_at) <= now)
        .order_by(col(Notification.next_attempt_at))
        .limit(limit)
    )
    claimed: list[uuid.UUID] = []
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(due.with_for_update(skip_locked=True)))
        if ids:
            session.execute(
                update(Notification).where(col(Notification.id).in_(ids))
                .values(state=DeliveryState.SENDING, claimed_at=now, attempts=Notification.attempts + 1)
            )
        claimed = ids
    else:
        for notification_id in list(session.scalars(due)):
            won = session.execute(
                update(Notification)
                .where(col(Notification.id) == notification_id, col(Notification.state) == DeliveryState.QUEUED)
                .values(state=DeliveryState.SENDING, claimed_at=now, attempts=Notification.attempts + 1)
            ).rowcount  # type: ignore[attr-defined]
            if won == 1:
                claimed.append(notification_id)
    session.commit()
    if not claimed:
        return []
    return list(session.scalars(select(Notification).where(col(Notification.id).in_(claimed))))


def _audit(session: Session, notification: Notification, action: str, **extra: object) -> None:
    """Who was told what, when; never the body."""
    record_event(
        session, None, action, entity="notification", entity_key=notification.kind,
        after={"notification_id": notification.id, "to": notification.email, "user_id": notification.user_id,
               "kind": notification.kind, "subject": notification.subject, "threshold": notification.threshold,
               "attempts": notification.attempts, **extra},
    )


def _finished(notification: Notification) -> dict[str, Any]:
    # An invitation's link lets its holder join: once the email is out (or given up), it is not kept.
    return {"context": {}, "link": ""} if notification.kind == NotificationKind.INVITATION else {}


def send_one(session: Session, settings: Settings, notification: Notification, result: RunResult) -> None:
    try:
        send_email(settings, email_message(settings, notification))
    except Exception as error:  # noqa: BLE001  (any failure to hand over is retried, never fatal)
        reason = f"{type(error).__name__}: {error}"[:500]
        values: dict[str, Any]
        if notification.attempts >= settings.notify_max_attempts:
            values = {"state": DeliveryState.FAILED, "last_error": reason, **_finished(notification)}
            result.failed += 1
            action = "notification.failed"
        else:
            wait = settings.notify_backoff_seconds * 2 ** (notification.attempts - 1)
            values = {"state": DeliveryState.QUEUED, "last_error": reason,
                      "next_attempt_at": utcnow() + timedelta(seconds=wait)}
            result.retried += 1
            action = ""
        session.execute(update(Notification).where(col(Notification.id) == notification.id).values(**values))
        if action:
            _audit(session, notification, action, error=reason)
        session.commit()
        log.warning("notification %s not sent (try %s): %s", notification.id, notification.attempts, reason)
        return
    session.execute(
        update(Notification).where(col(Notification.id) == notification.id)
        .values(state=DeliveryState.SENT, sent_at=utcnow(), last_error="", **_finished(notification))
    )
    _audit(session, notification, "notification.sent")
    session.commit()
    result.sent += 1


def deliver(session: Session, settings: Settings, result: RunResult | None = None) -> RunResult:
    """Send every queued email that is due, batch by batch."""
    result = result or RunResult()
    if not settings.mail_enabled:
        # Email is off: what was queued stays in the app, as every notification does.
        session.execute(
            update(Notification).where(col(Notification.state) == DeliveryState.QUEUED)
            .values(state=DeliveryState.IN_APP, last_error="email is off (no GTREADY_SMTP_HOST)")
        )
        session.execute(
            update(Notification).where(col(Notification.kind) == NotificationKind.INVITATION,
                                       col(Notification.link) != "")
            .values(link="", context={})
        )
        session.commit()
        return result
    while batch := claim(session):
        for notification in batch:
            send_one(session, settings, notification, result)
    return result


def run_once(engine: Engine, settings: Settings) -> RunResult:
    """One pass: reminders, then mail. Errors are logged and reported, not raised."""
    result = RunResult()
    with Session(engine, expire_on_commit=False) as session:
        try:
            result.reminders = compute_reminders(session)
        except Exception as error:  # noqa: BLE001
            session.rollback()
            log.exception("computing reminders failed")
            result.errors.append(f"reminders: {error}")
        try:
            deliver(session, settings, result)
        except Exception as error:  # noqa: BLE001
            session.rollback()
            log.exception("delivering notifications failed")
            result.errors.append(f"delivery: {error}")
    return result
