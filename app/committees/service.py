"""Committees of an institution (P&T, MEC, ...): who sits on them, and who chairs them. Every change is audited."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.auth.service import institution_member
from app.committees.models import Committee, CommitteeMember
from app.committees.schemas import CommitteeMemberRead, CommitteeRead
from app.errors import Conflict, Invalid, NotFound
from app.programs.service import get_institution


def committees_of(session: Session, institution_id: uuid.UUID) -> list[Committee]:
    """The institution's committees by name."""
    return list(
        session.scalars(
            select(Committee).where(col(Committee.institution_id) == institution_id).order_by(col(Committee.name))
        ).all()
    )


def committees_by_slug(session: Session, institution_id: uuid.UUID) -> dict[str, Committee]:
    return {c.slug: c for c in committees_of(session, institution_id)}


def get_committee(session: Session, institution_id: uuid.UUID, slug: str) -> Committee:
    committee = session.scalars(
        select(Committee).where(col(Committee.institution_id) == institution_id, col(Committee.slug) == slug)
    ).first()
    if committee is None:
        raise NotFound(f"committee '{slug}' not found")
    return committee


def member_ids(session: Session, committee_id: uuid.UUID) -> set[uuid.UUID]:
    return set(
        session.scalars(
            select(col(CommitteeMember.user_id)).where(col(CommitteeMember.committee_id) == committee_id)
        ).all()
    )


def committee_ids_of(session: Session, user_id: uuid.UUID) -> set[uuid.UUID]:
    """The committees a person sits on, in any institution."""
    return set(
        session.scalars(select(col(CommitteeMember.committee_id)).where(col(CommitteeMember.user_id) == user_id)).all()
    )


def committee_records(session: Session, committees: Sequence[Committee]) -> list[CommitteeRead]:
    """Committees with their chair's name and members, in two queries whatever their number."""
    ids = [c.id for c in committees]
    rows = session.execute(
        select(col(CommitteeMember.committee_id), User)
        .join(User, col(User.id) == CommitteeMember.user_id)
        .where(col(CommitteeMember.committee_id).in_(ids))
        .order_by(col(User.full_name))
    ).all() if ids else []
    chairs = {c.chair_id for c in committees if c.chair_id}
    names: dict[uuid.UUID, str] = {
        user.id: user.full_name for user in session.scalars(select(User).where(col(User.id).in_(chairs))).all()
    } if chairs else {}
    members: dict[uuid.UUID, list[CommitteeMemberRead]] = {i: [] for i in ids}
    for committee_id, user in rows:
        members[committee_id].append(CommitteeMemberRead(user_id=user.id, full_name=user.full_name, email=user.email))
    return [
        CommitteeRead(
            id=c.id, institution_id=c.institution_id, slug=c.slug, name=c.name, chair_id=c.chair_id,
            chair_name=names.get(c.chair_id) if c.chair_id else None, members=members[c.id], created_at=c.created_at,
        )
        for c in committees
    ]


def committee_record(session: Session, committee: Committee) -> CommitteeRead:
    return committee_records(session, [committee])[0]


def _member_of_institution(session: Session, institution_id: uuid.UUID, user_id: uuid.UUID, field: str) -> User:
    try:
        return institution_member(session, institution_id, user_id)
    except NotFound:
        raise Invalid("not a member of this institution", field=field) from None


def _join(session: Session, committee: Committee, user: User) -> bool:
    if session.get(CommitteeMember, (committee.id, user.id)) is not None:
        return False
    session.add(CommitteeMember(committee_id=committee.id, user_id=user.id))
    return True


def _audit(session: Session, actor: User | None, action: str, committee: Committee, **changes: Any) -> None:
    record_event(
        session, actor, action, entity="committee", entity_key=committee.slug,
        institution_id=committee.institution_id, after={"slug": committee.slug, "name": committee.name, **changes},
    )


def create_committee(
    session: Session, actor: User | None, institution_id: uuid.UUID, slug: str, name: str,
    chair_id: uuid.UUID | None = None,
) -> Committee:
    """Set a committee up; its chair (if named) sits on it."""
    get_institution(session, institution_id)
    chair = _member_of_institution(session, institution_id, chair_id, "chair_id") if chair_id else None
    if session.scalars(
        select(col(Committee.id)).where(col(Committee.institution_id) == institution_id, col(Committee.slug) == slug)
    ).first():
        raise Conflict(f"this institution already has a committee '{slug}'")
    committee = Committee(institution_id=institution_id, slug=slug, name=name, chair_id=chair_id)
    session.add(committee)
    try:
        session.flush()
    except IntegrityError:  # created a moment ago by someone else
        session.rollback()
        raise Conflict(f"this institution already has a committee '{slug}'") from None
    if chair is not None:
        _join(session, committee, chair)
        session.flush()
    _audit(session, actor, "committee.created", committee, chair_id=str(chair_id) if chair_id else None)
    session.commit()
    return committee


def update_committee(
    session: Session, actor: User | None, committee: Committee, fields: dict[str, Any]
) -> Committee:
    """Rename it, or change its chair (who then sits on it); only the fields given change."""
    before = {"name": committee.name, "chair_id": str(committee.chair_id) if committee.chair_id else None}
    if "chair_id" in fields and fields["chair_id"] is not None:
        chair = _member_of_institution(session, committee.institution_id, fields["chair_id"], "chair_id")
        _join(session, committee, chair)
    if fields.get("name") is not None:
        committee.name = fields["name"]
    if "chair_id" in fields:
        committee.chair_id = fields["chair_id"]
    session.add(committee)
    session.flush()
    after = {"name": committee.name, "chair_id": str(committee.chair_id) if committee.chair_id else None}
    record_event(
        session, actor, "committee.updated", entity="committee", entity_key=committee.slug,
        institution_id=committee.institution_id, before=before, after=after,
    )
    session.commit()
    return committee


def delete_committee(session: Session, actor: User | None, committee: Committee) -> None:
    """Remove a committee. Signatures given on its behalf keep its name; chain steps naming it wait again."""
    record_event(
        session, actor, "committee.deleted", entity="committee", entity_key=committee.slug,
        institution_id=committee.institution_id, before={"slug": committee.slug, "name": committee.name},
    )
    session.execute(delete(CommitteeMember).where(col(CommitteeMember.committee_id) == committee.id))
    session.delete(committee)
    session.commit()


def add_member(session: Session, actor: User | None, committee: Committee, user_id: uuid.UUID) -> Committee:
    """Seat a member of the institution on the committee."""
    user = _member_of_institution(session, committee.institution_id, user_id, "user_id")
    if not _join(session, committee, user):
        raise Conflict(f"{user.full_name} already sits on {committee.name}")
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"{user.full_name} already sits on {committee.name}") from None
    _audit(session, actor, "committee.member_added", committee, user_id=str(user.id), member=user.full_name)
    session.commit()
    return committee


def remove_member(session: Session, actor: User | None, committee: Committee, user_id: uuid.UUID) -> Committee:
    """Take someone off the committee (the chair too: the committee then has none)."""
    membership = session.get(CommitteeMember, (committee.id, user_id))
    if membership is None:
        raise NotFound("committee member not found")
    user = session.get(User, user_id)
    session.delete(membership)
    if committee.chair_id == user_id:
        committee.chair_id = None
        session.add(committee)
    session.flush()
    _audit(session, actor, "committee.member_removed", committee, user_id=str(user_id),
           member=user.full_name if user else "")
    session.commit()
    return committee
