"""Notifications (one row per person, event and threshold) and each person's choices about them."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db import UTCDateTime


class NotificationKind(StrEnum):
    ITEM_ASSIGNED = "item_assigned"
    READY_TO_SIGN = "ready_to_sign"  # an item you may sign was marked done
    DUE_SOON = "due_soon"  # thresholds 30, 7, 1 (days)
    OVERDUE = "overdue"  # threshold: weeks overdue (0 the day after the due date, then weekly)
    SIGNOFF_LAPSING = "signoff_lapsing"  # thresholds 30, 7
    EVIDENCE_EXPIRING = "evidence_expiring"  # thresholds 30, 7
    SIGNOFF_REVOKED = "signoff_revoked"
    MENTIONED = "mentioned"
    INVITATION = "invitation"
    DIGEST = "digest"  # champions, weekly

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS: dict[NotificationKind, str] = {
    NotificationKind.ITEM_ASSIGNED: "An item is assigned to me",
    NotificationKind.READY_TO_SIGN: "An item I may sign is marked done",
    NotificationKind.DUE_SOON: "An item of mine is due in 30, 7 or 1 days",
    NotificationKind.OVERDUE: "An item of mine is overdue (then weekly)",
    NotificationKind.SIGNOFF_LAPSING: "A sign-off of mine lapses in 30 or 7 days",
    NotificationKind.EVIDENCE_EXPIRING: "Evidence I uploaded expires in 30 or 7 days",
    NotificationKind.SIGNOFF_REVOKED: "A signature of mine is revoked",
    NotificationKind.MENTIONED: "I am mentioned in a comment",
    NotificationKind.INVITATION: "Invitations",
    NotificationKind.DIGEST: "Weekly digest (champions)",
}


class Channel(StrEnum):
    EMAIL = "email"  # email and in the app
    APP = "app"  # in the app only
    OFF = "off"


class DeliveryState(StrEnum):
    QUEUED = "queued"  # an email waiting for the worker (or for its next try)
    SENDING = "sending"  # claimed by one worker
    SENT = "sent"
    FAILED = "failed"  # every try used up; shown, never retried by itself
    IN_APP = "in_app"  # no email wanted (or mail is off): the app shows it, nothing to send


class Notification(SQLModel, table=True):
    """One thing one person is told. `delivery_key` (person, kind, subject, threshold) is unique, so however
    many workers or requests announce the same event, it is recorded once; its state makes it sent once."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
        Index("ix_notifications_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    delivery_key: str = Field(max_length=300, unique=True)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    email: str = Field(max_length=254)  # where it goes; an invitation goes to someone with no account yet
    kind: str = Field(sa_type=String(32))
    subject: str = Field(max_length=200)  # what it is about, e.g. item:<id>, signoff:<id>, digest:2026-W48
    threshold: str = Field(default="", max_length=20)
    title: str = Field(max_length=300)
    link: str = Field(default="", max_length=500)  # a path in the app; emails prefix GTREADY_BASE_URL
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # the message template's variables
    state: str = Field(default=DeliveryState.IN_APP.value, sa_type=String(16))
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", sa_type=Text)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NotificationSettings(SQLModel, table=True):
    """A person's channel per kind (kinds not listed take their default) and the digest's weekday."""

    __tablename__ = "notification_settings"

    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    channels: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    digest_weekday: int = 0  # Monday
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
