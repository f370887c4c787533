"""A realistic demo institution: a hemophilia B program part-way through set-up, so a first run shows
something real. Deterministic (seeded), and idempotent: running it twice changes nothing."""

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.auth.roles import Role
from app.checklists.loader import Catalog
from app.checklists.schema import CareRole
from app.clock import today, utcnow
from app.programs import service
from app.programs.models import Institution, ItemStatus, Program, ProgramItem
from app.programs.schemas import ProgramCreate

DEMO_INSTITUTION = "Riverside University Hospital"
DEMO_LIBRARY = "hemophilia-gt"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    roles: tuple[Role, ...]


DEMO_PEOPLE = (
    DemoPerson("champion@riverside.example", "Dr. Maya Okafor", (Role.CHAMPION,)),
    DemoPerson("pharmacy@riverside.example", "Sam Lindqvist, PharmD", (Role.PHARMACY_LEAD,)),
    DemoPerson("policy@riverside.example", "Jordan Reyes", (Role.POLICY_LEAD,)),
    DemoPerson("education@riverside.example", "Priya Natarajan, RN", (Role.EDUCATION_LEAD,)),
    DemoPerson("followup@riverside.example", "Chris Mbeki", (Role.FOLLOWUP_COORDINATOR,)),
    DemoPerson("finance@riverside.example", "Alex Kowalski", (Role.FINANCE_LEAD,)),
    DemoPerson("admin@riverside.example", "Taylor Brooks", (Role.ADMINISTRATOR,)),
    DemoPerson("viewer@riverside.example", "Robin Hale", (Role.VIEWER,)),
)


def seed_demo(session: Session, catalog: Catalog) -> Program:
    """Create the demo institution, its people and one program part-way through set-up (once)."""
    existing = session.scalars(select(Institution).where(col(Institution.name) == DEMO_INSTITUTION)).first()
    if existing is not None:
        return session.scalars(select(Program).where(col(Program.institution_id) == existing.id)).one()
    institution = service.create_institution(session, DEMO_INSTITUTION)
    people = {}
    for person in DEMO_PEOPLE:
        user = User(email=person.email, full_name=person.full_name)
        session.add(user)
        session.flush()
        session.add_all(Membership(user_id=user.id, institution_id=institution.id, role=r) for r in person.roles)
        people[person.roles[0]] = user
    session.commit()
    program = service.create_program(
        session,
        catalog,
        institution.id,
        ProgramCreate(
            title="Commercial gene therapy for hemophilia B",
            library_id=DEMO_LIBRARY,
            products=["hemgenix"],
            care_role=CareRole.HUB,
        ),
    )
    _progress(session, program, people)
    return program


def _progress(session: Session, program: Program, people: dict[Role, User]) -> None:
    """Owners on every item, due dates over the next quarter, about half the work under way."""
    rng = random.Random(20261124)  # noqa: S311 (demo data, not security)
    items = session.scalars(select(ProgramItem).where(col(ProgramItem.program_id) == program.id)).all()
    start, now = today(), utcnow()
    for item in items:
        owner = people.get(Role(item.signoff_role), people[Role.CHAMPION])
        item.owner_id = owner.id
        item.due_date = start + timedelta(days=rng.randint(-20, 100))
        roll = rng.random()
        if roll < 0.30:
            item.status, item.completed_at = ItemStatus.DONE, now
        elif roll < 0.55:
            item.status = ItemStatus.IN_PROGRESS
            item.notes = "Draft circulated for comment."
    session.commit()
