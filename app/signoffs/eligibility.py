"""May this person sign this item now, and if not, why not in words: the reasons a page shows beside a disabled
"Sign off" button and the API answers. The checks are the sign-off service's own (app/signoffs/rules.py,
chains.check_step_signer, auth.mfa.check_may_sign): this module catches their refusals and words them."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.directory import people_of
from app.auth.mfa import check_may_sign
from app.auth.models import User
from app.auth.roles import Role
from app.clock import today
from app.committees.models import Committee, CommitteeMember
from app.errors import Conflict, DomainError, Forbidden
from app.evidence.service import current_evidence, item_evidence
from app.programs.models import Program, ProgramItem
from app.signoffs.chains import check_step_signer
from app.signoffs.rules import Blocker, check_signer_role, item_blockers
from app.signoffs.service import signoff_queue
from app.signoffs.standing import standing_signoffs, standing_steps


@dataclass(frozen=True)
class Signers:
    """Who may sign the item (or its next chain step): a role and its holders, or a committee and its members."""

    label: str  # "Pharmacy lead", "Pharmacy and therapeutics committee"
    role: str | None
    committee: str | None  # the slug, for a committee step
    people: list[tuple[uuid.UUID, str]]  # (id, full name), by name
    step: int | None = None  # the chain step they sign, of `steps`
    steps: int | None = None


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reasons: list[str]  # empty when allowed: what stands in the way, in words
    signers: Signers | None  # None when nothing is left to sign in the chain
    blockers: list[Blocker]  # the item's own rules among the reasons (status, evidence, dependencies, chain)


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _role_holders(session: Session, institution_id: uuid.UUID, role: str) -> list[tuple[uuid.UUID, str]]:
    return [(p.id, p.full_name) for p in people_of(session, institution_id) if role in p.roles]


def _committee_signers(session: Session, program: Program, slug: str, number: int, of: int) -> Signers:
    committee = session.scalars(select(Committee).where(
        col(Committee.institution_id) == program.institution_id, col(Committee.slug) == slug)).first()
    if committee is None:
        return Signers(f"committee '{slug}' (not set up)", None, slug, [], number, of)
    seats = set(session.scalars(
        select(col(CommitteeMember.user_id)).where(col(CommitteeMember.committee_id) == committee.id)).all())
    people = [(p.id, p.full_name) for p in people_of(session, program.institution_id) if p.id in seats]
    return Signers(committee.name, None, slug, people, number, of)


def _step_signers(session: Session, program: Program, item: ProgramItem, number: int) -> Signers:
    chain = item.approval_chain or []
    spec = chain[number - 1]
    if spec.get("role"):
        role = Role(spec["role"])
        return Signers(role.label, role.value, None, _role_holders(session, program.institution_id, role.value),
                       number, len(chain))
    return _committee_signers(session, program, spec["committee"], number, len(chain))


def _may_sign_step(session: Session, user: User, program: Program, item: ProgramItem, number: int) -> bool:
    try:
        check_step_signer(session, user, program, item, number)
    except DomainError:
        return False
    return True


def sign_off_eligibility(session: Session, user: User, program: Program, item: ProgramItem) -> Eligibility:
    """Whether `user` may sign `item` (or its next chain step) now; if not, every reason in words."""
    reasons: list[str] = []
    try:
        check_may_sign(session, user)
    except Forbidden as error:
        reasons.append(error.detail[:1].upper() + error.detail[1:])
    chain = item.approval_chain or []
    number: int | None = None
    previous = None
    if chain:
        steps = standing_steps(standing_signoffs(session, item.id))
        number = len(steps) + 1
        if number > len(chain):
            return Eligibility(False, ["Every step of the approval chain is signed"], None, [])
        previous = steps.get(number - 1)
        signers = _step_signers(session, program, item, number)
        try:
            check_step_signer(session, user, program, item, number)
        except Conflict:
            reasons.append(f"Step {number} is signed on behalf of a committee this institution has not set up "
                           f"({signers.committee}): an administrator adds it")
        except DomainError:
            mine = [n for n in range(number + 1, len(chain) + 1) if _may_sign_step(session, user, program, item, n)]
            if mine:
                reasons.append(f"Waiting for step {number} ({_lower(signers.label)})")
            elif signers.role:
                reasons.append(f"Only the {_lower(signers.label)} can sign step {number}")
            else:
                reasons.append(f"Only a member of the {signers.label} can sign step {number}")
    else:
        role = Role(item.signoff_role)
        signers = Signers(role.label, role.value, None, _role_holders(session, program.institution_id, role.value))
        try:
            check_signer_role(session, user, program, item)
        except DomainError:
            reasons.append(f"Only the {_lower(role.label)} can sign this")
    on = today()
    evidence = current_evidence(item_evidence(session, item.id), on)
    blockers = item_blockers(session, item, evidence, step=number, previous=previous, on=on)
    reasons += [b.advice for b in blockers]
    return Eligibility(not reasons, reasons, signers, blockers)


def chain_signers(session: Session, program: Program, item: ProgramItem) -> list[Signers]:
    """Who signs each step of the item's approval chain (empty: no chain)."""
    return [_step_signers(session, program, item, n) for n in range(1, len(item.approval_chain or []) + 1)]


def next_to_sign(
    session: Session, user: User, *, exclude: uuid.UUID | None = None, look_at: int = 20
) -> tuple[Program, ProgramItem] | None:
    """The first item of the person's sign-off queue they may sign right now (its evidence attached, its
    dependencies signed), other than `exclude`; the queue's first `look_at` items are considered."""
    rows = [(p, i) for p, i in signoff_queue(session, user) if i.id != exclude][:look_at]
    return next(((p, i) for p, i in rows if sign_off_eligibility(session, user, p, i).allowed), None)
