"""Read a program's audit trail; verify the whole chain; read its head."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlmodel import col

from app.audit import service
from app.audit.schemas import AuditEventRead, AuditHead, ChainVerification, MissingEvents
from app.auth.deps import CurrentUser
from app.auth.models import Membership
from app.auth.roles import Role
from app.db import SessionDep
from app.errors import Forbidden, NotFound
from app.pagination import Page, PageDep
from app.programs.access import PROGRAM_MANAGERS, program_for
from app.text import IsoDateTime, ItemKey

router = APIRouter(prefix="/api", tags=["audit"])


@router.get(
    "/programs/{program_id}/audit", response_model=Page[AuditEventRead],
    responses={403: {"description": "Only champions and administrators read the audit trail"}},
)
def program_audit(
    program_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    item: Annotated[ItemKey | None, Query(description="Only events about this item")] = None,
    actor_id: Annotated[uuid.UUID | None, Query(description="Only events by this person")] = None,
    since: Annotated[IsoDateTime | None, Query()] = None,
    until: Annotated[IsoDateTime | None, Query()] = None,
) -> Page[AuditEventRead]:
    """A program's audit trail, newest first (champions and administrators)."""
    program_for(session, user, program_id, PROGRAM_MANAGERS)
    events, total = service.program_events(
        session, program_id, page, entity_key=item, actor_id=actor_id, since=since, until=until
    )
    return Page(items=[AuditEventRead.model_validate(e) for e in events], total=total, **page.model_dump())


@router.get(
    "/audit/verify", response_model=ChainVerification,
    responses={403: {"description": "Only champions and administrators (of some institution) verify the chain"}},
)
def verify(
    user: CurrentUser,
    session: SessionDep,
    expect_head: Annotated[str | None, Query(
        pattern=r"^[1-9][0-9]*:[0-9a-fA-F]{64}$",
        description="A head kept elsewhere (SEQ:HASH, from GET /api/audit/head)"
    )] = None,
) -> ChainVerification:
    """Recompute the hash chain and hold it to its checkpoints, the report snapshots' heads and `expect_head`;
    name the first event that was altered or removed, including events cut from the end."""
    if not user.is_superuser:
        managing = session.scalars(
            select(col(Membership.id)).where(
                col(Membership.user_id) == user.id, col(Membership.role).in_([r.value for r in PROGRAM_MANAGERS])
            )
        ).first()
        if managing is None:
            raise Forbidden(f"this needs the {Role.ADMINISTRATOR.value} or {Role.CHAMPION.value} role")
    expected = service.parse_head(expect_head) if expect_head else None
    # Report numbers are the institution's business: others learn only the date of the report that disagrees.
    report = service.verify_chain(session, expected, name_reports=user.is_superuser)
    missing = MissingEvents(first=report.missing_tail[0], last=report.missing_tail[1]) if report.missing_tail else None
    return ChainVerification(
        valid=report.valid, events=report.events, first_bad_seq=report.first_bad_seq, problem=report.problem,
        missing_tail=missing, anchors_checked=report.anchors_checked,
    )


@router.get("/audit/head", response_model=AuditHead)
def head(user: CurrentUser, session: SessionDep) -> AuditHead:
    """The trail's newest event (seq, hash, time), for the site's operator to keep outside this deployment.

    Deployment-wide, like the trail itself, so only a site superuser reads it."""
    if not user.is_superuser:
        raise Forbidden("only a site superuser reads the audit trail's head")
    found = service.chain_head(session)
    if found is None:
        raise NotFound("the audit trail is empty")
    return found
