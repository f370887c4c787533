"""Who is who in an institution: the people items can be assigned to."""

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.auth.security_models import ServiceAccount


@dataclass
class Person:
    id: uuid.UUID
    full_name: str
    email: str
    roles: list[str] = field(default_factory=list)


def people_of(session: Session, institution_id: uuid.UUID) -> list[Person]:
    """Active members of an institution with their roles, by name, in one query. Service accounts are not
    people: nothing is assigned to them and their role is managed on the Security page."""
    integrations = select(col(ServiceAccount.user_id))
    rows = session.execute(
        select(col(User.id), col(User.full_name), col(User.email), col(Membership.role))
        .join(Membership, col(Membership.user_id) == User.id)
        .where(col(Membership.institution_id) == institution_id, col(User.is_active),
               col(User.id).not_in(integrations))
        .order_by(col(User.full_name), col(Membership.role))
    ).all()
    people: dict[uuid.UUID, Person] = {}
    for user_id, full_name, email, role in rows:
        people.setdefault(user_id, Person(user_id, full_name, email)).roles.append(role)
    return list(people.values())
