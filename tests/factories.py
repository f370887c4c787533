"""Test data builders: each test makes exactly what it needs, with sensible defaults."""

import uuid
from itertools import count
from typing import Any

from sqlmodel import Session

from app.auth.models import Membership, User
from app.auth.secrets import hash_password
from app.checklists.loader import Catalog
from app.checklists.schema import CareRole
from app.programs import service
from app.programs.models import Institution, Program
from app.programs.schemas import ProgramCreate

_serial = count(1)


def make_institution(session: Session, name: str | None = None) -> Institution:
    return service.create_institution(session, name or f"Hospital {next(_serial)}")


def make_user(
    session: Session, institution: Institution | None = None, roles: tuple[str, ...] = (), **fields: Any
) -> User:
    n = next(_serial)
    password = fields.pop("password", None)
    user = User(
        email=fields.pop("email", f"user{n}@example.org"),
        full_name=fields.pop("full_name", f"User {n}"),
        password_hash=hash_password(password) if password else None,
    )
    for name, value in fields.items():
        setattr(user, name, value)
    session.add(user)
    session.flush()
    for role in roles:
        assert institution is not None
        session.add(Membership(user_id=user.id, institution_id=institution.id, role=role))
    session.commit()
    return user


def make_program(
    session: Session,
    catalog: Catalog,
    institution: Institution | None = None,
    *,
    products: tuple[str, ...] = ("hemgenix",),
    care_role: CareRole = CareRole.HUB,
    library_id: str = "mini",
    library_version: str | None = "1.0.0",
) -> Program:
    institution = institution or make_institution(session)
    data = ProgramCreate(
        title=f"Gene therapy program {next(_serial)}",
        library_id=library_id,
        library_version=library_version,
        products=list(products),
        care_role=care_role,
    )
    return service.create_program(session, catalog, institution.id, data)


def new_id() -> uuid.UUID:
    return uuid.uuid4()
