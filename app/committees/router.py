"""Committees of an institution: list (members), set up, change and remove (administrators)."""

import uuid

from fastapi import APIRouter, status

from app.auth.deps import CurrentUser
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.committees import service
from app.committees.schemas import CommitteeCreate, CommitteeMemberAdd, CommitteeRead, CommitteeUpdate
from app.db import SessionDep
from app.text import Slug

router = APIRouter(prefix="/api", tags=["committees"])


def _admin(session: SessionDep, user: CurrentUser, institution_id: uuid.UUID) -> None:
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")


@router.get("/institutions/{institution_id}/committees", response_model=list[CommitteeRead])
def list_committees(institution_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[CommitteeRead]:
    """The institution's committees with their chair and members."""
    require_member(session, user, institution_id, what="institution")
    return service.committee_records(session, service.committees_of(session, institution_id))


@router.post(
    "/institutions/{institution_id}/committees", status_code=status.HTTP_201_CREATED, response_model=CommitteeRead,
    responses={409: {"description": "The institution already has a committee with this slug"}},
)
def create_committee(
    institution_id: uuid.UUID, body: CommitteeCreate, user: CurrentUser, session: SessionDep
) -> CommitteeRead:
    """Set a committee up (administrators); approval chains name it by its slug."""
    _admin(session, user, institution_id)
    committee = service.create_committee(session, user, institution_id, body.slug, body.name, body.chair_id)
    return service.committee_record(session, committee)


@router.patch("/institutions/{institution_id}/committees/{slug}", response_model=CommitteeRead)
def update_committee(
    institution_id: uuid.UUID, slug: Slug, body: CommitteeUpdate, user: CurrentUser, session: SessionDep
) -> CommitteeRead:
    """Rename a committee or change its chair (administrators)."""
    _admin(session, user, institution_id)
    committee = service.get_committee(session, institution_id, slug)
    committee = service.update_committee(session, user, committee, body.model_dump(exclude_unset=True))
    return service.committee_record(session, committee)


@router.delete("/institutions/{institution_id}/committees/{slug}", status_code=status.HTTP_204_NO_CONTENT)
def delete_committee(institution_id: uuid.UUID, slug: Slug, user: CurrentUser, session: SessionDep) -> None:
    """Remove a committee (administrators); signatures given on its behalf stay on record."""
    _admin(session, user, institution_id)
    service.delete_committee(session, user, service.get_committee(session, institution_id, slug))


@router.post(
    "/institutions/{institution_id}/committees/{slug}/members", status_code=status.HTTP_201_CREATED,
    response_model=CommitteeRead, responses={409: {"description": "Already a member of the committee"}},
)
def add_committee_member(
    institution_id: uuid.UUID, slug: Slug, body: CommitteeMemberAdd, user: CurrentUser, session: SessionDep
) -> CommitteeRead:
    """Seat a member of the institution on a committee (administrators)."""
    _admin(session, user, institution_id)
    committee = service.add_member(session, user, service.get_committee(session, institution_id, slug), body.user_id)
    return service.committee_record(session, committee)


@router.delete("/institutions/{institution_id}/committees/{slug}/members/{user_id}", response_model=CommitteeRead)
def remove_committee_member(
    institution_id: uuid.UUID, slug: Slug, user_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> CommitteeRead:
    """Take someone off a committee (administrators)."""
    _admin(session, user, institution_id)
    committee = service.get_committee(session, institution_id, slug)
    return service.committee_record(session, service.remove_member(session, user, committee, user_id))
