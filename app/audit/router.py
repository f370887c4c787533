"""Read a program's audit trail; verify the whole chain."""

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlmodel import col

from app.audit import service
from app.audit.schemas import AuditEventRead, ChainVerification
from app.auth.deps import CurrentUser
from app.auth.models import Membership
from app.auth.roles import Role
from app.db import SessionDep
from app.errors import Forbidden
from app.pagination import Page, PageDep
from app.programs.access import PROGRAM_MANAGERS, program_for
from app.text import ItemKey

router = APIRouter(prefix="/api", tags=["audit"])


@router.get("/programs/{program_id}/audit", response_model=Page[AuditEventRead])
def program_audit(
    program_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    item: Annotated[ItemKey | None, Query(description="Only events about this item")] = None,
    actor_id: Annotated[uuid.UUID | None, Query(description="Only events by this person")] = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> Page[AuditEventRead]:
    """A program's audit trail, newest first (champions and administrators)."""
    program_for(session, user, program_id, PROGRAM_MANAGERS)
    events, total = service.program_events(
        session, program_id, page, entity_key=item, actor_id=actor_id, since=since, until=until
    )
    return Page(items=[AuditEventRead.model_validate(e) for e in events], total=total, **page.model_dump())


@router.get("/audit/verify", response_model=ChainVerification)
def verify(user: CurrentUser, session: SessionDep) -> ChainVerification:
    """Recompute the hash chain; name the first event that was altered or removed."""
    if not user.is_superuser:
        managing = session.scalars(
            select(col(Membership.id)).where(
                col(Membership.user_id) == user.id, col(Membership.role).in_([r.value for r in PROGRAM_MANAGERS])
            )
        ).first()
        if managing is None:
            raise Forbidden(f"this needs the {Role.ADMINISTRATOR.value} or {Role.CHAMPION.value} role")
    return ChainVerification(**asdict(service.verify_chain(session)))
