"""My work (each person's home page), comments on the item page, and calendar feed addresses on My account.
The same services as the API; the header's counts and the item page's comments and history are asked from
templates in the request's own database session (the one that loaded the user), like the Administration link."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import object_session
from sqlmodel import col

from app.auth.models import User
from app.auth.roles import SIGNING_ROLES
from app.calendar import service as calendar_service
from app.calendar.models import CalendarFeed
from app.calendar.router import feed_url
from app.checklists.router import CatalogDep
from app.comments import service as comments_service
from app.comments.schemas import CommentCreate, CommentEdit, CommentRead
from app.db import SessionDep
from app.errors import DomainError
from app.me.schemas import WorkCounts
from app.me.service import my_work
from app.me.service import work_counts as count_work
from app.programs import service as programs_service
from app.programs.access import program_for
from app.programs.item_history import ItemEvent, item_history
from app.programs.models import Program
from app.programs.schemas import ItemRead
from app.web.programs import _form_of, item_page_response
from app.web.session import WebPrincipal, render, templates

router = APIRouter(include_in_schema=False)


def work_counts(user: User | None) -> WorkCounts | None:
    """The header's counts; None for a page without a logged-in person."""
    session = object_session(user) if user is not None else None
    return count_work(session, user) if session is not None and user is not None else None  # type: ignore[arg-type]


def item_comments(user: User, item: ItemRead) -> list[CommentRead]:
    session = object_session(user)
    return comments_service.comment_threads(session, item.program_id, item.key) if session else []  # type: ignore[arg-type]


def item_events(user: User, item: ItemRead) -> list[ItemEvent]:
    session = object_session(user)
    return item_history(session, item.program_id, item.key) if session else []  # type: ignore[arg-type]


def calendar_feeds(user: User) -> list[tuple[CalendarFeed, str]]:
    """The person's working feeds with what each covers, and the programs they may make a feed of."""
    session = object_session(user)
    if session is None:
        return []
    feeds = calendar_service.feeds_of(session, user)  # type: ignore[arg-type]
    ids = [f.program_id for f in feeds if f.program_id]
    query = select(col(Program.id), col(Program.title)).where(col(Program.id).in_(ids))
    titles = {program_id: title for program_id, title in session.execute(query)} if ids else {}
    return [(feed, calendar_service.feed_label(feed, titles)) for feed in feeds]


def feed_programs(user: User) -> list[Program]:
    """Programs the person may subscribe to as a whole: those they champion or administer."""
    session = object_session(user)
    if session is None:
        return []
    return calendar_service.programs_managed_by(session, user)  # type: ignore[arg-type]


templates.env.globals.update(work_counts=work_counts, item_comments=item_comments, item_events=item_events,
                             calendar_feeds=calendar_feeds, feed_programs=feed_programs)


@router.get("/me", response_class=HTMLResponse)
def my_work_page(request: Request, principal: WebPrincipal, session: SessionDep) -> HTMLResponse:
    return render(request, principal, "my_work.html", {"nav": "me", "work": my_work(session, principal.user)})


@router.post("/programs/{program_id}/items/{key}/comments", response_class=HTMLResponse)
def post_comment(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, key: str, session: SessionDep,
    catalog: CatalogDep, body: Annotated[str, Form(max_length=10000)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    program = program_for(session, principal.user, program_id)
    item = programs_service.get_item(session, program.id, key)
    try:
        program_for(session, principal.user, program_id, SIGNING_ROLES)
        text = CommentCreate.model_validate({"body": body}).body
        comment = comments_service.add_comment(session, principal.user, program, item, text)
    except ValidationError:
        return _item_with_message(request, principal, session, catalog, program_id, key,
                                  "Write something to comment.", 422, body)
    except DomainError as error:
        return _item_with_message(request, principal, session, catalog, program_id, key, error.detail,
                                  error.status_code, body)
    return RedirectResponse(f"/programs/{program_id}/items/{key}?done=commented#comment-{comment.id}",
                            status_code=303)


@router.post("/comments/{comment_id}/edit", response_class=HTMLResponse)
def edit_comment(
    request: Request, principal: WebPrincipal, comment_id: uuid.UUID, session: SessionDep, catalog: CatalogDep,
    version: Annotated[int, Form()], body: Annotated[str, Form(max_length=10000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    program = comments_service.thread_program(session, comment_id)
    program_for(session, principal.user, program.id)
    key = comments_service.thread_versions(session, comment_id)[0].item_key
    try:
        edit = CommentEdit.model_validate({"body": body, "version": version})
        comments_service.edit_comment(session, principal.user, program, comment_id, edit.body, edit.version)
    except ValidationError:
        return _item_with_message(request, principal, session, catalog, program.id, key,
                                  "Write something to comment.", 422, "")
    except DomainError as error:
        return _item_with_message(request, principal, session, catalog, program.id, key, error.detail,
                                  error.status_code, "")
    return RedirectResponse(f"/programs/{program.id}/items/{key}?done=commented#comment-{comment_id}",
                            status_code=303)


def _item_with_message(
    request: Request, principal: WebPrincipal, session: SessionDep, catalog: CatalogDep, program_id: uuid.UUID,
    key: str, text: str, status_code: int, draft: str,
) -> HTMLResponse:
    item = programs_service.read_item(session, program_id, key)
    response = item_page_response(request, principal, session, catalog, item, form=_form_of(item),
                                  message={"kind": "error", "text": text}, status_code=status_code,
                                  sign_form={"comment_draft": draft})
    return response


@router.post("/account/calendar-feeds", response_class=HTMLResponse)
def create_calendar_feed(
    request: Request, principal: WebPrincipal, session: SessionDep,
    program_id: Annotated[uuid.UUID | None, Form()] = None, csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    principal.check_csrf(csrf_token)
    program = program_for(session, principal.user, program_id) if program_id else None
    feed, plain = calendar_service.create_feed(session, principal.user, program)
    context = {"nav": "account", "feed_url": feed_url(request, plain), "program": program}
    return render(request, principal, "calendar_feed_created.html", context, status_code=201)


@router.post("/account/calendar-feeds/{feed_id}/revoke")
def revoke_calendar_feed(
    principal: WebPrincipal, session: SessionDep, feed_id: uuid.UUID, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    principal.check_csrf(csrf_token)
    calendar_service.revoke_feed(session, principal.user, feed_id)
    return RedirectResponse("/account#calendar", status_code=303)
