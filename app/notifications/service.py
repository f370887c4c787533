"""Notifications: recording them (once), each person's choices, the in-app list.

Any domain announces an event with `notify(...)` inside its own transaction; the worker (worker.py) sends the
emails. Creation is idempotent: the delivery key (person, kind, subject, threshold) is unique and inserts ignore
a conflict, so a request retried, two replicas or two workers computing the same reminder record it once.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.clock import utcnow
from app.errors import Invalid, NotFound
from app.notifications.models import (
    Channel,
    DeliveryState,
    Notification,
    NotificationKind,
    NotificationSettings,
)

# What a person gets before choosing: everything by email, except what only matters in the app.
DEFAULT_CHANNELS: dict[NotificationKind, Channel] = {kind: Channel.EMAIL for kind in NotificationKind}


def delivery_key(recipient: str, kind: NotificationKind, subject: str, threshold: str = "") -> str:
    return f"{recipient}|{kind.value}|{subject}|{threshold}"[:300]


def settings_of(session: Session, user_id: uuid.UUID) -> NotificationSettings:
    """A person's choices (defaults when they never chose), not added to the session."""
    found = session.get(NotificationSettings, user_id)
    return found if found is not None else NotificationSettings(user_id=user_id)


def channel_for(prefs: NotificationSettings, kind: NotificationKind) -> Channel:
    chosen = prefs.channels.get(kind.value, "")
    return Channel(chosen) if chosen in set(Channel) else DEFAULT_CHANNELS[kind]


def _insert_once(session: Session, values: dict[str, Any]) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Notification).values(**values).on_conflict_do_nothing(index_elements=["delivery_key"])
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _row(recipient_key: str, user_id: uuid.UUID | None, email: str, kind: NotificationKind, channel: Channel,
         subject: str, threshold: str, title: str, link: str, context: dict[str, Any] | None) -> dict[str, Any]:
    now = utcnow()
    by_email = channel == Channel.EMAIL
    return {
        "id": uuid.uuid4(), "delivery_key": delivery_key(recipient_key, kind, subject, threshold),
        "user_id": user_id, "email": email, "kind": kind.value, "subject": subject[:200],
        "threshold": threshold, "title": title[:300], "link": link[:500], "context": context or {},
        "state": (DeliveryState.QUEUED if by_email else DeliveryState.IN_APP).value,
        "attempts": 0, "next_attempt_at": now if by_email else None, "last_error": "", "created_at": now,
    }


def notify(
    session: Session,
    user_id: uuid.UUID,
    kind: NotificationKind,
    *,
    subject: str,
    title: str,
    link: str = "",
    context: dict[str, Any] | None = None,
    threshold: str = "",
) -> bool:
    """Tell a person about an event, in the caller's transaction (the caller commits). Returns whether it was
    recorded: False when the person turned this kind off, is inactive, or was already told (same subject and
    threshold). `subject` names what it is about (e.g. "comment:<id>"), `link` is a path in the app, and
    `context` the message's details (plain JSON values: "program", "item_key", "item_title", "actor", "excerpt",
    "lines"); never put a secret in it."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.email.endswith(".invalid"):  # a service account has no mailbox
        return False
    channel = channel_for(settings_of(session, user_id), kind)
    if channel == Channel.OFF:
        return False
    return _insert_once(session, _row(str(user_id), user_id, user.email, kind, channel, subject, threshold,
                                      title, link, context))


def notify_address(
    session: Session, email: str, kind: NotificationKind, *, subject: str, title: str, link: str = "",
    context: dict[str, Any] | None = None,
) -> bool:
    """An email to an address that has no account yet (an invitation), in the caller's transaction."""
    return _insert_once(session, _row(email, None, email, kind, Channel.EMAIL, subject, "", title, link, context))


# --- the in-app list and preferences --------------------------------------------------------------


def notifications_for(session: Session, user: User, *, unread_only: bool = False,
                      limit: int = 50, offset: int = 0) -> tuple[Sequence[Notification], int]:
    """A person's notifications, newest first, with the total."""
    query = select(Notification).where(col(Notification.user_id) == user.id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(col(Notification.created_at).desc(), col(Notification.id)).limit(limit).offset(offset)
    ).all()
    return rows, int(total)


def unread_count(session: Session, user: User) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Notification)
        .where(col(Notification.user_id) == user.id, col(Notification.read_at).is_(None))
    ) or 0)


def mark_read(session: Session, user: User, notification_id: uuid.UUID) -> Notification:
    """Mark one of the person's notifications read (again is harmless); someone else's is not found."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("notification not found")
    if notification.read_at is None:
        session.execute(
            update(Notification)
            .where(col(Notification.id) == notification_id, col(Notification.read_at).is_(None))
            .values(read_at=utcnow())
        )
        session.commit()
        session.refresh(notification)
    return notification


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(
        update(Notification)
        .where(col(Notification.user_id) == user.id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def update_preferences(session: Session, user: User, channels: dict[str, str] | None,
                       digest_weekday: int | None) -> NotificationSettings:
    """Change some kinds' channels and/or the digest day; kinds not named keep theirs."""
    prefs = session.get(NotificationSettings, user.id) or NotificationSettings(user_id=user.id)
    merged = dict(prefs.channels)
    for kind, channel in (channels or {}).items():
        if kind not in set(NotificationKind):
            raise Invalid(f"unknown notification kind '{kind}'", field="channels")
        if channel not in set(Channel):
            raise Invalid(f"channel must be one of: {', '.join(Channel)}", field="channels")
        merged[kind] = channel
    prefs.channels = merged
    if digest_weekday is not None:
        if not 0 <= digest_weekday <= 6:
            raise Invalid("digest_weekday is 0 (Monday) to 6 (Sunday)", field="digest_weekday")
        prefs.digest_weekday = digest_weekday
    prefs.updated_at = utcnow()
    session.add(prefs)
    session.commit()
    return prefs


def unsubscribe(session: Session, user_id: uuid.UUID, kind: NotificationKind) -> None:
    """Stop emails of one kind (they stay in the app): what an email's one-click link does."""
    prefs = session.get(NotificationSettings, user_id) or NotificationSettings(user_id=user_id)
    if channel_for(prefs, kind) == Channel.EMAIL:
        prefs.channels = {**prefs.channels, kind.value: Channel.APP.value}
        prefs.updated_at = utcnow()
        session.add(prefs)
    # Emails of this kind still waiting are not sent either.
    session.execute(
        update(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.kind) == kind.value,
               col(Notification.state) == DeliveryState.QUEUED)
        .values(state=DeliveryState.IN_APP)
    )
    session.commit()


# --- events other domains announce ---------------------------------------------------------------


def announce_item_change(
    session: Session, *, program_id: uuid.UUID, program_title: str, institution_id: uuid.UUID, key: str,
    title: str, signoff_role: str, changes: dict[str, Any], version: int, actor_id: uuid.UUID | None,
) -> None:
    """After an item update (in its transaction): tell a new owner, and, when it was marked done, everyone who
    may sign it. The person who made the change is not told about their own change. `version` is the item's
    new version: each change is its own event."""
    link = f"/programs/{program_id}/items/{key}"
    context = {"program": program_title, "item_key": key, "item_title": title, "lines": [f"Program: {program_title}"]}
    owner_id = changes.get("owner_id")
    if owner_id is not None and owner_id != actor_id:
        notify(session, owner_id, NotificationKind.ITEM_ASSIGNED, subject=f"item:{key}@{program_id}",
               threshold=f"v{version}", title=f"{key} {title} is assigned to you", link=link,
               context=context)
    if changes.get("status") == "done":
        signers = session.scalars(
            select(col(Membership.user_id)).distinct().where(
                col(Membership.institution_id) == institution_id, col(Membership.role) == signoff_role)
        ).all()
        for signer_id in signers:
            if signer_id != actor_id:
                notify(session, signer_id, NotificationKind.READY_TO_SIGN, subject=f"item:{key}@{program_id}",
                       threshold=f"v{version}", title=f"{key} {title} is done and awaits your sign-off", link=link,
                       context=context)


def announce_revocation(
    session: Session, *, signer_id: uuid.UUID, signoff_id: uuid.UUID, program_id: uuid.UUID, program_title: str,
    key: str, revoked_by: str, reason: str, actor_id: uuid.UUID,
) -> None:
    """Tell a signer their signature was revoked (unless they revoked it themselves)."""
    if signer_id == actor_id:
        return
    notify(session, signer_id, NotificationKind.SIGNOFF_REVOKED, subject=f"signoff:{signoff_id}",
           title=f"Your sign-off of {key} was revoked by {revoked_by}",
           link=f"/programs/{program_id}/items/{key}",
           context={"program": program_title, "item_key": key,
                    "lines": [f"Program: {program_title}", f"Reason: {reason}"]})
