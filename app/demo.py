"""A realistic demo institution: a hemophilia B program part-way through set-up, so a first run shows
something real. Deterministic (seeded), and idempotent: running it twice changes nothing."""

import io
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.auth.roles import Role
from app.auth.secrets import hash_password
from app.checklists.loader import Catalog
from app.checklists.schema import CareRole
from app.clock import today, utcnow
from app.errors import Conflict
from app.evidence.files import LocalStorage
from app.evidence.service import add_evidence
from app.planning.defaults import default_capacity_inputs, default_reimbursement_inputs
from app.planning.schemas import ScenarioKind
from app.planning.service import save_scenario
from app.programs import service
from app.programs.models import Institution, ItemStatus, Program, ProgramItem
from app.programs.schemas import ProgramCreate
from app.signoffs.models import Meaning
from app.signoffs.service import sign_off_item

DEMO_INSTITUTION = "Riverside University Hospital"
DEMO_LIBRARY = "hemophilia-gt"
DEMO_PASSWORD = "gtready-demo"  # noqa: S105  (documented in the README; demo data only)


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


def seed_demo(session: Session, catalog: Catalog, storage: LocalStorage) -> Program:
    """Create the demo institution, its people and one program part-way through set-up (once)."""
    existing = session.scalars(select(Institution).where(col(Institution.name) == DEMO_INSTITUTION)).first()
    if existing is not None:
        return session.scalars(select(Program).where(col(Program.institution_id) == existing.id)).one()
    institution = service.create_institution(session, DEMO_INSTITUTION)
    people = {}
    for person in DEMO_PEOPLE:
        user = User(email=person.email, full_name=person.full_name, password_hash=hash_password(DEMO_PASSWORD))
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
    _sign_some(session, storage, program, people)
    _plan(session, program, people)
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


def _demo_pdf(item: ProgramItem, kind: str) -> bytes:
    text = f"Demo evidence ({kind.replace('_', ' ')}) for {item.key}: {item.title}"
    return b"%PDF-1.4\n% " + text.encode("ascii", "replace") + b"\n%%EOF\n"


def _sign_some(session: Session, storage: LocalStorage, program: Program, people: dict[Role, User]) -> None:
    """Sign about half of the finished items, through the same rules a lead would meet (evidence, dependencies)."""
    done = session.scalars(
        select(ProgramItem)
        .where(col(ProgramItem.program_id) == program.id, col(ProgramItem.status) == ItemStatus.DONE)
        .order_by(col(ProgramItem.position))
    ).all()
    for index, item in enumerate(done):
        if index % 2:
            continue
        signer = people.get(Role(item.signoff_role))
        if signer is None:
            continue
        for kind in item.evidence_kinds:
            add_evidence(
                session, storage, signer, program, item, source=io.BytesIO(_demo_pdf(item, kind)),
                filename=f"{item.key.lower()}-{kind}.pdf", kind=kind, expires_on=None, max_bytes=1 << 20,
            )
        try:
            sign_off_item(
                session, signer, program, item.key, password=DEMO_PASSWORD, meaning=Meaning.APPROVED,
                statement="Reviewed for the demo.", expected_version=item.version,
            )
        except Conflict:  # a dependency is not signed yet: leave it done, as in real life
            session.rollback()


def _plan(session: Session, program: Program, people: dict[Role, User]) -> None:
    """A base-case scenario for each planning model, from the sourced defaults."""
    save_scenario(session, people[Role.FINANCE_LEAD], program, ScenarioKind.REIMBURSEMENT, "Base case",
                  default_reimbursement_inputs(program.products, patients_per_year=3))
    save_scenario(session, people[Role.FOLLOWUP_COORDINATOR], program, ScenarioKind.CAPACITY, "Current clinic",
                  default_capacity_inputs(program.products, patients_per_year=6))
