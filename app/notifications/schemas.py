"""What the notifications API reads and accepts."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.notifications.models import Channel, NotificationKind


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: NotificationKind
    title: str
    link: str
    state: str  # in_app, queued, sending, sent or failed (the email's delivery)
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None


class NotificationList(BaseModel):
    items: list[NotificationRead]
    total: int
    unread: int
    limit: int
    offset: int


class PreferencesRead(BaseModel):
    channels: dict[NotificationKind, Channel]
    digest_weekday: int = Field(description="0 Monday ... 6 Sunday")
    email_enabled: bool = Field(description="Whether this deployment sends email at all")


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: dict[NotificationKind, Channel] | None = None
    digest_weekday: int | None = Field(default=None, ge=0, le=6)
