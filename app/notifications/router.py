"""A person's notifications and their choices about them."""

import uuid

from fastapi import APIRouter, Request

from app.auth.deps import CurrentUser
from app.db import SessionDep
from app.notifications import service
from app.notifications.models import NotificationKind
from app.notifications.schemas import NotificationList, NotificationRead, PreferencesRead, PreferencesUpdate
from app.pagination import PageDep

router = APIRouter(prefix="/api/me", tags=["notifications"])


@router.get("/notifications", response_model=NotificationList)
def list_notifications(user: CurrentUser, session: SessionDep, page: PageDep, unread: bool = False) -> NotificationList:
    """Your notifications, newest first."""
    rows, total = service.notifications_for(session, user, unread_only=unread, limit=page.limit, offset=page.offset)
    return NotificationList(items=[NotificationRead.model_validate(r) for r in rows], total=total,
                            unread=service.unread_count(session, user), limit=page.limit, offset=page.offset)


@router.post("/notifications/{notification_id}/read", response_model=NotificationRead,
             responses={404: {"description": "No such notification of yours"}})
def read_notification(notification_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> NotificationRead:
    """Mark one notification read."""
    return NotificationRead.model_validate(service.mark_read(session, user, notification_id))


def preferences_read(request: Request, session: SessionDep, user: CurrentUser) -> PreferencesRead:
    prefs = service.settings_of(session, user.id)
    return PreferencesRead(channels={k: service.channel_for(prefs, k) for k in NotificationKind},
                           digest_weekday=prefs.digest_weekday,
                           email_enabled=request.app.state.settings.mail_enabled)


@router.get("/notification-preferences", response_model=PreferencesRead)
def get_preferences(request: Request, user: CurrentUser, session: SessionDep) -> PreferencesRead:
    """Per kind: email (and in the app), app only, or off; and the digest's weekday."""
    return preferences_read(request, session, user)


@router.patch("/notification-preferences", response_model=PreferencesRead)
def update_preferences(request: Request, data: PreferencesUpdate, user: CurrentUser,
                       session: SessionDep) -> PreferencesRead:
    """Change some kinds' channels or the digest day; what is not sent stays as it was."""
    channels = {k.value: v.value for k, v in (data.channels or {}).items()}
    service.update_preferences(session, user, channels, data.digest_weekday)
    return preferences_read(request, session, user)
