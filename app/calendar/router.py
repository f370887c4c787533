"""Calendar feeds over HTTP: managing your feed addresses (API), and the feed itself (its address is the key)."""

import uuid

from fastapi import APIRouter, Request, Response, status

from app.auth.deps import CurrentUser
from app.calendar import service
from app.calendar.schemas import CalendarFeedCreate, CalendarFeedCreated, CalendarFeedRead
from app.db import SessionDep
from app.programs.access import program_for

router = APIRouter(prefix="/api/me", tags=["calendar"])
feeds = APIRouter(include_in_schema=False)


def feed_url(request: Request, plain: str) -> str:
    return str(request.url_for("calendar_feed", token=plain))


@router.get("/calendar-feeds", response_model=list[CalendarFeedRead])
def list_feeds(user: CurrentUser, session: SessionDep) -> list[CalendarFeedRead]:
    """Your calendar feeds that still work (their addresses are not shown again)."""
    return [CalendarFeedRead.model_validate(f) for f in service.feeds_of(session, user)]


@router.post("/calendar-feeds", status_code=status.HTTP_201_CREATED, response_model=CalendarFeedCreated,
             responses={404: {"description": "The program named does not exist or is another institution's"}})
def create_feed(
    body: CalendarFeedCreate, request: Request, user: CurrentUser, session: SessionDep
) -> CalendarFeedCreated:
    """A new secret feed address, shown once; your previous address for the same feed stops working."""
    program = program_for(session, user, body.program_id) if body.program_id else None
    feed, plain = service.create_feed(session, user, program)
    return CalendarFeedCreated(**CalendarFeedRead.model_validate(feed).model_dump(), url=feed_url(request, plain))


@router.delete("/calendar-feeds/{feed_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_feed(feed_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Revoke a feed: its address answers 404 from now on."""
    service.revoke_feed(session, user, feed_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@feeds.get("/calendar/{token}.ics", name="calendar_feed")
def calendar_feed(token: str, request: Request, session: SessionDep) -> Response:
    """The feed a calendar application polls; no login (the address is the credential)."""
    base = str(request.base_url).rstrip("/")
    return Response(service.feed_calendar(session, token, base), media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, no-store"})
