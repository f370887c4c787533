"""Comments on items over HTTP. Thin: find what the caller may see, call the service."""

import uuid

from fastapi import APIRouter, status

from app.auth.deps import CurrentUser
from app.auth.roles import SIGNING_ROLES
from app.comments import service
from app.comments.schemas import CommentCreate, CommentEdit, CommentRead
from app.db import SessionDep
from app.programs.access import program_for
from app.programs.service import get_item
from app.text import ItemKey

router = APIRouter(prefix="/api", tags=["comments"])


@router.get("/programs/{program_id}/items/{key}/comments", response_model=list[CommentRead])
def list_comments(program_id: uuid.UUID, key: ItemKey, user: CurrentUser, session: SessionDep) -> list[CommentRead]:
    """The item's comments, oldest first, each at its newest version with its history."""
    program = program_for(session, user, program_id)
    item = get_item(session, program.id, key)
    return service.comment_threads(session, program.id, item.key)


@router.post("/programs/{program_id}/items/{key}/comments", status_code=status.HTTP_201_CREATED,
             response_model=CommentRead)
def post_comment(
    program_id: uuid.UUID, key: ItemKey, body: CommentCreate, user: CurrentUser, session: SessionDep
) -> CommentRead:
    """Comment on an item (any role but viewer); @mentioned members see it on their My work."""
    program = program_for(session, user, program_id, SIGNING_ROLES)
    item = get_item(session, program.id, key)
    return service.add_comment(session, user, program, item, body.body)


@router.put("/comments/{comment_id}", response_model=CommentRead,
            responses={409: {"description": "Another version was written since the one named"}})
def edit_comment(comment_id: uuid.UUID, body: CommentEdit, user: CurrentUser, session: SessionDep) -> CommentRead:
    """Edit your own comment: writes a new version; the earlier ones stay, shown as its history."""
    program = service.thread_program(session, comment_id)
    program_for(session, user, program.id)
    return service.edit_comment(session, user, program, comment_id, body.body, body.version)
