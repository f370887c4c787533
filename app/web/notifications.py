"""Pages: your notifications, your choices about them (a section of /account), and one-click unsubscribe."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import object_session

from app.auth.models import User
from app.db import SessionDep
from app.notifications import service
from app.notifications.models import Channel, NotificationKind
from app.notifications.tokens import read_unsubscribe_token
from app.web.session import WebPrincipal, render, templates

router = APIRouter(include_in_schema=False)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def unread_notifications(user: User | None) -> int:
    """The header's unread count, asked from templates in the request's own session (like `administers`)."""
    session = object_session(user) if user is not None else None
    return service.unread_count(session, user) if session is not None and user is not None else 0  # type: ignore[arg-type]


def notification_preferences(user: User | None) -> dict[str, Any]:
    """What the /account section shows: each kind's channel and the digest day."""
    session = object_session(user) if user is not None else None
    if session is None or user is None:
        return {"kinds": [], "digest_weekday": 0}
    prefs = service.settings_of(session, user.id)  # type: ignore[arg-type]
    return {"kinds": [(k, service.channel_for(prefs, k)) for k in NotificationKind if k != NotificationKind.INVITATION],
            "digest_weekday": prefs.digest_weekday, "weekdays": WEEKDAYS, "channels": list(Channel)}


templates.env.globals["unread_notifications"] = unread_notifications
templates.env.globals["notification_preferences"] = notification_preferences


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, principal: WebPrincipal, session: SessionDep) -> HTMLResponse:
    rows, total = service.notifications_for(session, principal.user, limit=100)
    return render(request, principal, "notifications.html", {"nav": "notifications", "notifications": rows,
                                                             "total": total})


@router.post("/notifications/{notification_id}/read")
def read_one(principal: WebPrincipal, notification_id: uuid.UUID, session: SessionDep,
             csrf_token: Annotated[str, Form()] = "") -> Response:
    principal.check_csrf(csrf_token)
    notification = service.mark_read(session, principal.user, notification_id)
    return RedirectResponse(notification.link or "/notifications", status_code=303)


@router.post("/notifications/read-all")
def read_all(principal: WebPrincipal, session: SessionDep, csrf_token: Annotated[str, Form()] = "") -> Response:
    principal.check_csrf(csrf_token)
    service.mark_all_read(session, principal.user)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/account/notifications")
async def save_preferences(request: Request, principal: WebPrincipal, session: SessionDep) -> Response:
    form = await request.form()
    principal.check_csrf(str(form.get("csrf_token", "")))
    channels = {k.value: str(form[f"channel_{k.value}"]) for k in NotificationKind if f"channel_{k.value}" in form}
    day = str(form.get("digest_weekday", ""))
    service.update_preferences(session, principal.user, channels, int(day) if day.isdigit() else None)
    return RedirectResponse("/account#notifications", status_code=303)


@router.get("/notifications/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str) -> HTMLResponse:
    """Asks before acting: mail scanners follow links, and must not unsubscribe anyone."""
    _, kind = read_unsubscribe_token(request.app.state.settings, token)
    return render(request, None, "unsubscribe.html", {"kind": kind, "token": token, "done": False})


@router.post("/notifications/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str, session: SessionDep) -> HTMLResponse:
    """One click, no login (RFC 8058 List-Unsubscribe-Post): emails of this kind stop; they stay in the app."""
    user_id, kind = read_unsubscribe_token(request.app.state.settings, token)
    service.unsubscribe(session, user_id, kind)
    return render(request, None, "unsubscribe.html", {"kind": kind, "token": token, "done": True})
