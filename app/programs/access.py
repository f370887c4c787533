"""Finding a program or item on behalf of a user: outside their institutions it does not exist (404)."""

import uuid
from collections.abc import Iterable

from sqlmodel import Session

from app.auth.models import User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.errors import NotFound
from app.programs.models import Program, ProgramItem
from app.programs.service import get_item

PROGRAM_MANAGERS = frozenset({Role.CHAMPION, Role.ADMINISTRATOR})


def program_for(
    session: Session, user: User, program_id: uuid.UUID, roles: Iterable[Role] | None = None
) -> Program:
    program = session.get(Program, program_id)
    if program is None:
        raise NotFound("program not found")
    require_member(session, user, program.institution_id, roles, what="program")
    return program


def may_change_item(user: User, roles: set[str], signoff_role: str) -> bool:
    """The rule `item_for_change` enforces, for pages deciding which forms to show from roles already read."""
    return user.is_superuser or bool(roles & ({r.value for r in PROGRAM_MANAGERS} | {signoff_role}))


def item_for_change(session: Session, user: User, program_id: uuid.UUID, key: str) -> ProgramItem:
    """An item the user may change: champions, administrators, and holders of the item's sign-off role."""
    program = program_for(session, user, program_id)
    item = get_item(session, program.id, key)
    require_member(session, user, program.institution_id, {*PROGRAM_MANAGERS, Role(item.signoff_role)})
    return item
