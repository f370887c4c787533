"""A realistic demo institution: a hemophilia B program part-way through set-up, so a first run shows
something real. Deterministic (seeded), and idempotent: running it twice changes nothing."""

import io
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from graphlib import TopologicalSorter

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.auth.roles import Role
from app.auth.secrets import hash_password
from app.checklists.loader import Catalog
from app.checklists.schema import CareRole
from app.clock import frozen_at, today, utcnow
from app.committees.service import add_member, create_committee
from app.errors import Conflict
from app.evidence.files import LocalStorage
from app.evidence.service import add_evidence
from app.planning.defaults import default_capacity_inputs, default_reimbursement_inputs
from app.planning.schemas import ScenarioKind
from app.planning.service import save_scenario
from app.programs import service
from app.programs.models import Institution, ItemStatus, Program, ProgramItem
from app.programs.schemas import ItemUpdate, ProgramCreate
from app.signoffs.models import Meaning
from app.signoffs.service import sign_off_item

DEMO_INSTITUTION = "Riverside University Hospital"
DEMO_LIBRARY = "hemophilia-gt"
DEMO_PASSWORD = "gtready-demo"  # noqa: S105  (documented in the README; demo data only)
DEMO_HISTORY = timedelta(weeks=10)  # how far back the demo program's work began


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
        first = select(Program).where(col(Program.institution_id) == existing.id).order_by(col(Program.created_at))
        return session.scalars(first).first() or _missing_demo_program()
    institution = service.create_institution(session, DEMO_INSTITUTION)
    people = {}
    for person in DEMO_PEOPLE:
        user = User(email=person.email, full_name=person.full_name, password_hash=hash_password(DEMO_PASSWORD))
        session.add(user)
        session.flush()
        session.add_all(Membership(user_id=user.id, institution_id=institution.id, role=r) for r in person.roles)
        people[person.roles[0]] = user
    session.commit()
    began = utcnow() - DEMO_HISTORY
    with frozen_at(began - timedelta(minutes=5)):  # the committees the 1.2.0 approval chains name: P&T, then MEC
        pt = create_committee(session, None, institution.id, "pt", "Pharmacy and therapeutics committee",
                              people[Role.PHARMACY_LEAD].id)
        add_member(session, None, pt, people[Role.CHAMPION].id)
        mec = create_committee(session, None, institution.id, "mec", "Medical executive committee",
                               people[Role.CHAMPION].id)
        add_member(session, None, mec, people[Role.ADMINISTRATOR].id)
    newest = service.get_library(catalog, DEMO_LIBRARY, None)  # a first run shows the content a new program gets
    with frozen_at(began):
        program = service.create_program(
            session,
            catalog,
            institution.id,
            ProgramCreate(
                title="Commercial gene therapy for hemophilia B",
                library_id=DEMO_LIBRARY,
                library_version=newest.version,
                products=["hemgenix"],
                care_role=CareRole.HUB,
            ),
        )
    signed_from = _progress(session, program, people, began)
    _sign_some(session, storage, program, people, signed_from)
    _plan(session, program, people)
    _second_program(session, catalog, institution.id, people)
    return program


def _missing_demo_program() -> Program:
    raise RuntimeError("the demo institution exists without its program; delete it and seed the demo again")


SECOND_LIBRARY, SECOND_PRODUCT = "ex-vivo-hsc", "casgevy"


def _second_program(session: Session, catalog: Catalog, institution_id: uuid.UUID, people: dict[Role, User]) -> None:
    """Sickle cell disease ex vivo (Casgevy) beside the hemophilia program, when the ex-vivo-hsc library is there.

    Its capacity scenario shares the clinic with the first program, so the dashboard's shared-resource view has
    two programs to count. Apheresis and transplant bed-days per patient are left at 0: no sourced value yet.
    """
    library = catalog.latest(SECOND_LIBRARY)
    if library is None or SECOND_PRODUCT not in {product.id for product in library.products}:
        return
    program = service.create_program(session, catalog, institution_id, ProgramCreate(
        title="Commercial gene therapy for sickle cell disease", library_id=SECOND_LIBRARY,
        library_version=library.version, products=[SECOND_PRODUCT], care_role=CareRole.HUB,
    ))
    save_scenario(session, people[Role.FOLLOWUP_COORDINATOR], program, ScenarioKind.CAPACITY, "Current clinic",
                  default_capacity_inputs(program.products, patients_per_year=2))


@dataclass(frozen=True, order=True)
class _Step:
    at: datetime
    key: str
    update: ItemUpdate = field(compare=False)
    actor: User = field(compare=False)


def _progress(session: Session, program: Program, people: dict[Role, User], began: datetime) -> datetime:
    """Ten weeks of work replayed through the services, so the audit trail, the activity feed and the readiness
    history tell the same story: owners and due dates first, then about half the items started, and a third
    finished (an item only after what it depends on). Returns when the sign-offs may begin."""
    rng = random.Random(20261124)  # noqa: S311 (demo data, not security)
    items = session.scalars(
        select(ProgramItem).where(col(ProgramItem.program_id) == program.id).order_by(col(ProgramItem.position))
    ).all()
    champion, start, day = people[Role.CHAMPION], today(), timedelta(days=1)
    rolls = {item.key: rng.random() for item in items}
    finished = {key for key, roll in rolls.items() if roll < 0.5}
    depends_on = {item.key: set(item.depends_on) for item in items}
    while unready := {key for key in finished if not depends_on[key] <= finished}:
        finished -= unready
    steps: list[_Step] = []
    done_at: dict[str, datetime] = {}
    for key in TopologicalSorter({key: depends_on[key] & finished for key in finished}).static_order():
        after = max((done_at[dep] for dep in depends_on[key] & finished), default=began + 20 * day)
        done_at[key] = after + rng.randint(1, 6) * day
    for index, item in enumerate(items):
        owner = people.get(Role(item.signoff_role), champion)
        assigned = began + day + index * timedelta(minutes=3)
        due = start + timedelta(days=rng.randint(-20, 100))
        steps.append(_Step(assigned, item.key, ItemUpdate(owner_id=owner.id, due_date=due), champion))
        if rolls[item.key] < 0.62:
            started = min(done_at.get(item.key, began + 40 * day), began + 40 * day) - rng.randint(4, 14) * day
            notes = None if item.key in finished else "Draft circulated for comment."
            steps.append(_Step(started, item.key, ItemUpdate(status=ItemStatus.IN_PROGRESS, notes=notes), owner))
        if item.key in finished:
            steps.append(_Step(done_at[item.key], item.key, ItemUpdate(status=ItemStatus.DONE), owner))
    for step in sorted(steps):
        with frozen_at(step.at):
            current = service.get_item(session, program.id, step.key)
            service.update_item(session, program.id, step.key, step.update, current.version, step.actor)
    return max(step.at for step in steps) + day


def _demo_pdf(item: ProgramItem, kind: str) -> bytes:
    text = f"Demo evidence ({kind.replace('_', ' ')}) for {item.key}: {item.title}"
    return b"%PDF-1.4\n% " + text.encode("ascii", "replace") + b"\n%%EOF\n"


def _sign_some(
    session: Session, storage: LocalStorage, program: Program, people: dict[Role, User], signed_from: datetime
) -> None:
    """Sign about two thirds of the finished items over the last days, through the same rules a lead would meet
    (evidence, dependencies)."""
    done = session.scalars(
        select(ProgramItem)
        .where(col(ProgramItem.program_id) == program.id, col(ProgramItem.status) == ItemStatus.DONE)
        .order_by(col(ProgramItem.completed_at), col(ProgramItem.position))  # what it depends on comes first
    ).all()
    spacing = (utcnow() - timedelta(hours=1) - signed_from) / max(len(done), 1)
    for index, item in enumerate(done):
        signer = people.get(Role(item.signoff_role))
        if index % 3 == 2 or signer is None or item.approval_chain:  # a third (and chains) await sign-off
            continue
        with frozen_at(signed_from + index * spacing):
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
