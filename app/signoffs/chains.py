"""Approval chains: an item signed off by an ordered chain of signatures (a role, or a committee on whose behalf a
member signs at a meeting) instead of one. standing.py says when a chain completes an item; this module says which
step is next, who may sign it, and what each step of an item looks like.

A step names a committee by slug (`pt`, `mec`). An institution that has not set that committee up yet sees the step
as "committee not set up": it cannot be signed until an administrator adds the committee, and nothing is refused at
program creation (the program page lists the committees its chains are waiting for).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.clock import today
from app.committees.models import Committee, CommitteeMember
from app.errors import Conflict, Forbidden, Invalid
from app.programs.models import Program, ProgramItem
from app.signoffs.models import Meaning, Revocation, SignOff
from app.signoffs.standing import standing_signoffs, standing_steps

MAX_STEPS = 10  # the library format allows no longer chain (app.checklists.schema.ItemDef)

NOT_SET_UP = "committee not set up"


@dataclass(frozen=True)
class StepState:
    number: int
    of: int
    role: str | None
    committee: str | None  # the slug the chain names
    committee_name: str | None  # None while the institution has not set it up
    meaning: str
    signoff: SignOff | None  # the standing signature of this step
    state: str  # "signed", "next", "waiting" or NOT_SET_UP

    @property
    def signer_label(self) -> str:
        if self.role:
            return Role(self.role).label
        return self.committee_name or f"committee '{self.committee}' ({NOT_SET_UP})"


def step_states(
    session: Session, institution_id: uuid.UUID, item_id: uuid.UUID, chain: Sequence[dict[str, str]] | None
) -> list[StepState]:
    """Each step of an item's chain with its standing signature and state (empty: no chain)."""
    if not chain:
        return []
    steps = standing_steps(standing_signoffs(session, item_id))
    committees = {c.slug: c for c in session.scalars(
        select(Committee).where(col(Committee.institution_id) == institution_id)).all()}
    states = []
    for number, spec in enumerate(chain, start=1):
        slug = spec.get("committee")
        committee = committees.get(slug) if slug else None
        signoff = steps.get(number)
        if signoff is not None:
            state = "signed"
        elif slug and committee is None:
            state = NOT_SET_UP
        else:
            state = "next" if number == len(steps) + 1 else "waiting"
        states.append(StepState(
            number=number, of=len(chain), role=spec.get("role"), committee=slug,
            committee_name=committee.name if committee else None, meaning=spec["meaning"], signoff=signoff,
            state=state,
        ))
    return states


def may_sign_step(
    session: Session, user_id: uuid.UUID, institution_id: uuid.UUID, step: StepState, roles: set[str]
) -> bool:
    """Whether a person holding `roles` in the institution may sign this step: its role, or a seat on its
    committee (a committee not set up yet lets nobody sign)."""
    if step.role:
        return step.role in roles
    return session.scalars(
        select(col(CommitteeMember.user_id)).join(Committee, col(Committee.id) == CommitteeMember.committee_id)
        .where(col(CommitteeMember.user_id) == user_id, col(Committee.slug) == step.committee,
               col(Committee.institution_id) == institution_id)
    ).first() is not None


def missing_committees(session: Session, program: Program) -> list[str]:
    """Committee slugs the program's approval chains name that its institution has not set up."""
    chains = session.scalars(
        select(col(ProgramItem.approval_chain)).where(
            col(ProgramItem.program_id) == program.id, col(ProgramItem.approval_chain).is_not(None),
            ~col(ProgramItem.retired),
        )
    ).all()
    named = {step["committee"] for chain in chains for step in chain or [] if step.get("committee")}
    if not named:
        return []
    have = set(session.scalars(
        select(col(Committee.slug)).where(col(Committee.institution_id) == program.institution_id)).all())
    return sorted(named - have)


def check_step_signer(
    session: Session, signer: User, program: Program, item: ProgramItem, number: int
) -> Committee | None:
    """Refuse a signer who may not sign step `number` of the item's chain: its role, or a seat on its committee
    (a committee not set up yet lets nobody sign). The committee, for a committee step."""
    spec = (item.approval_chain or [])[number - 1]
    if spec.get("role"):
        require_member(session, signer, program.institution_id, [Role(spec["role"])], superuser_allowed=False,
                       what="program")
        return None
    slug = spec["committee"]
    require_member(session, signer, program.institution_id, what="program")
    found = session.scalars(select(Committee).where(
        col(Committee.institution_id) == program.institution_id, col(Committee.slug) == slug)).first()
    if found is None:
        raise Conflict(
            f"step {number} of item {item.key} is signed on behalf of committee '{slug}', which this "
            "institution has not set up yet; an administrator can add it", reason="committee", committee=slug,
        )
    if session.get(CommitteeMember, (found.id, signer.id)) is None:
        raise Forbidden(f"only a member of the {found.name} ({slug}) can sign step {number} on its behalf",
                        required_committee=slug)
    return found


@dataclass(frozen=True)
class StepToSign:
    number: int
    role: str  # what the signature record names: the role, or "committee"
    committee: Committee | None
    meaning: Meaning
    previous: SignOff | None  # the standing signature of the step before


def step_to_sign(
    session: Session,
    signer: User,
    program: Program,
    item: ProgramItem,
    *,
    step: int | None,
    committee: str | None,
    meeting_date: date | None,
    meaning: Meaning,
) -> StepToSign:
    """The chain step this signature would be (the next one unless `step` says), after checking the signer may
    sign it, its meaning, its meeting date and that the steps before it stand."""
    chain = item.approval_chain or []
    steps = standing_steps(standing_signoffs(session, item.id))
    number = step if step is not None else len(steps) + 1
    if not 1 <= number <= len(chain):
        if step is None:
            raise Conflict(f"every step of item {item.key}'s approval chain is signed", reason="order")
        raise Invalid(f"item {item.key} has an approval chain of {len(chain)} steps; there is no step {number}",
                      field="step")
    spec = chain[number - 1]
    found = check_step_signer(session, signer, program, item, number)
    if spec.get("role"):
        role = Role(spec["role"])
        if committee is not None:
            raise Invalid(f"step {number} is signed by the {role.label}, not a committee", field="committee")
        if meeting_date is not None:
            raise Invalid(f"step {number} is not a committee step: it has no meeting date", field="meeting_date")
    else:
        slug = spec["committee"]
        name = found.name if found else slug  # check_step_signer refused a committee not set up
        if committee is not None and committee != slug:
            raise Invalid(f"step {number} is signed on behalf of committee '{slug}', not '{committee}'",
                          field="committee")
        if meeting_date is None:
            raise Invalid(f"state the date of the {name} meeting that approved step {number}",
                          field="meeting_date")
        if meeting_date > today():
            raise Invalid("the meeting date cannot be in the future", field="meeting_date")
    if meaning.value != spec["meaning"]:
        raise Invalid(f"step {number} of item {item.key} is signed as '{spec['meaning']}'", field="meaning")
    if number in steps:
        raise Conflict(f"step {number} of item {item.key} is already signed", reason="order")
    if number > len(steps) + 1:
        raise Conflict(f"step {number} of item {item.key} needs step {number - 1} signed first", reason="order")
    return StepToSign(number=number, role=spec.get("role") or "committee", committee=found,
                      meaning=meaning, previous=steps.get(number - 1))


def changed_since(previous: SignOff, current: dict[str, Any]) -> list[str]:
    """Fields of the item's content that differ from what the previous step signed."""
    return sorted(k for k, v in current.items() if previous.item_snapshot.get(k) != v)


def _standing_steps_count() -> Any:
    return (
        select(func.count())
        .select_from(SignOff)
        .outerjoin(Revocation, col(Revocation.signoff_id) == SignOff.id)
        .where(col(SignOff.item_id) == ProgramItem.id, col(SignOff.step).is_not(None), col(Revocation.id).is_(None))
        .scalar_subquery()
    )


def next_step_waits_for(user_id: uuid.UUID) -> ColumnElement[bool]:
    """SQL: the next step of the item's chain (ProgramItem joined with Program) is one this person may sign: a role
    they hold in the program's institution, or a committee of it they sit on."""
    signed = _standing_steps_count()
    chain = col(ProgramItem.approval_chain)
    next_role = case(*((signed == i, chain[(i, "role")].as_string()) for i in range(MAX_STEPS)), else_=None)
    next_committee = case(*((signed == i, chain[(i, "committee")].as_string()) for i in range(MAX_STEPS)), else_=None)
    holds_role = exists().where(
        col(Membership.user_id) == user_id, col(Membership.institution_id) == Program.institution_id,
        col(Membership.role) == next_role,
    )
    sits = exists().where(
        col(Committee.institution_id) == Program.institution_id, col(Committee.slug) == next_committee,
        col(CommitteeMember.committee_id) == Committee.id, col(CommitteeMember.user_id) == user_id,
    )
    return and_(chain.is_not(None), or_(holds_role, sits))


def waiting_labels(session: Session, rows: Sequence[tuple[Program, ProgramItem]]) -> dict[uuid.UUID, str]:
    """'Step 2 of 3: Pharmacy and therapeutics committee (approved)' for each chain item of a queue, by item id."""
    chained = [(p, i) for p, i in rows if i.approval_chain]
    if not chained:
        return {}
    signoffs = session.scalars(
        select(SignOff).outerjoin(Revocation, col(Revocation.signoff_id) == SignOff.id)
        .where(col(SignOff.item_id).in_([i.id for _, i in chained]), col(Revocation.id).is_(None),
               col(SignOff.step).is_not(None))
    ).all()
    signed: dict[uuid.UUID, int] = {}
    for s in signoffs:
        signed[s.item_id] = signed.get(s.item_id, 0) + 1
    institutions = {p.institution_id for p, _ in chained}
    names = {(c.institution_id, c.slug): c.name for c in session.scalars(
        select(Committee).where(col(Committee.institution_id).in_(institutions))).all()}
    labels = {}
    for program, item in chained:
        chain = item.approval_chain or []
        number = signed.get(item.id, 0) + 1
        if number > len(chain):
            continue
        spec = chain[number - 1]
        who = Role(spec["role"]).label if spec.get("role") else names.get(
            (program.institution_id, spec.get("committee", "")), spec.get("committee", ""))
        labels[item.id] = f"Step {number} of {len(chain)}: {who} ({spec['meaning']})"
    return labels
