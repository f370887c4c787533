"""Signing an item off, and revoking a signature.

A signature is an electronic signature: the signer re-enters the password, chooses what the signature means,
and the record keeps the item's content and the evidence hashes as they were at that moment.
"""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.mfa import check_may_sign, check_signing_code
from app.auth.models import User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.auth.service import check_password
from app.auth.service_accounts import is_service_account
from app.clock import today, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from app.evidence.models import Evidence
from app.evidence.service import current_evidence, item_evidence
from app.notifications.service import announce_revocation
from app.programs.models import ItemStatus, Program, ProgramItem
from app.programs.rules import add_months
from app.programs.service import DEFINITION_FIELDS, current_state, get_item, get_program
from app.signoffs.chains import StepToSign, next_step_waits_for, step_to_sign
from app.signoffs.models import Meaning, Revocation, SignOff
from app.signoffs.rules import check_signer_role, item_blockers
from app.signoffs.schemas import RevocationRead, SignOffRead
from app.signoffs.standing import completes_item, standing_signoffs
from app.sso.grants import use_signing_grant


def _lapse_date(item: ProgramItem, evidence: Sequence[Evidence], signed_on: date) -> date | None:
    """A signature lapses at the item's renewal, or when the first evidence it relied on expires."""
    candidates = [e.expires_on for e in evidence if e.expires_on is not None]
    if item.renewal_months:
        candidates.append(add_months(signed_on, item.renewal_months))
    return min(candidates) if candidates else None


def sign_off_item(
    session: Session,
    signer: User,
    program: Program,
    key: str,
    *,
    password: str | None = None,
    signing_grant: str | None = None,
    totp_code: str | None = None,
    meaning: Meaning,
    statement: str,
    expected_version: int | None,
    step: int | None = None,
    committee: str | None = None,
    meeting_date: date | None = None,
) -> SignOff:
    """Sign an item off (or the next step of its approval chain), if every rule holds; exactly one of several
    simultaneous signers succeeds."""
    item = get_item(session, program.id, key)
    check_may_sign(session, signer)  # never a service account; a second factor first where it is required
    chained: StepToSign | None = None
    if item.approval_chain:
        chained = step_to_sign(session, signer, program, item, step=step, committee=committee,
                               meeting_date=meeting_date, meaning=meaning)
        role_name = chained.role
    else:
        for name, value in (("step", step), ("committee", committee), ("meeting_date", meeting_date)):
            if value is not None:
                raise Invalid(f"item {key} is signed by one signature: it has no approval chain", field=name)
        role_name = Role(item.signoff_role).value
        check_signer_role(session, signer, program, item)
    if signing_grant is not None:  # people who sign in with SSO re-authenticate at their provider (app/sso)
        use_signing_grant(session, signer, signing_grant)
    elif signer.password_hash is None:
        raise Unauthorized("you sign in without a password: confirm your identity at your provider "
                           "(POST /api/sso/signing-grants) and send the signing_grant")
    else:
        check_password(session, signer, password or "")  # throttled and audited like a login
    check_signing_code(session, signer, totp_code)  # the current TOTP code, for a signer who uses one
    if expected_version is None:
        raise Invalid("send the item version you are signing (If-Match header or 'version')", field="version")
    if expected_version != item.version:
        raise Conflict(f"item {key} changed since you opened it; review it again", current=current_state(session, item))
    signed_on = today()
    evidence = current_evidence(item_evidence(session, item.id), signed_on)
    blockers = item_blockers(session, item, evidence, step=chained.number if chained else None,
                             previous=chained.previous if chained else None, on=signed_on)
    if blockers:
        raise blockers[0].error()
    now = utcnow()
    completes = completes_item(item.approval_chain, chained.number if chained else None)
    # Every step moves the item's version, guarded by the version read above: of two members signing the same
    # step at once exactly one wins (and an edit racing a step is refused, never half-signed).
    changes: dict[str, object] = {"version": expected_version + 1, "updated_at": now}
    if completes:
        changes |= {"status": ItemStatus.SIGNED_OFF, "completed_at": now,
                    "lapses_on": _lapse_date(item, evidence, signed_on)}
    won = session.execute(
        update(ProgramItem)
        .where(col(ProgramItem.id) == item.id, col(ProgramItem.version) == expected_version,
               col(ProgramItem.status) == ItemStatus.DONE)
        .values(**changes)
    ).rowcount  # type: ignore[attr-defined]
    if won != 1:
        session.rollback()
        fresh = get_item(session, program.id, key)
        raise Conflict(f"item {key} was just changed or signed by someone else", current=current_state(session, fresh))
    snapshot = {field: getattr(item, field) for field in DEFINITION_FIELDS}
    snapshot |= {"key": item.key, "status": ItemStatus.DONE.value, "version": expected_version, "notes": item.notes}
    signoff = SignOff(
        program_id=program.id,
        item_id=item.id,
        item_key=item.key,
        signer_id=signer.id,
        signer_name=signer.full_name,
        role=role_name,
        meaning=meaning.value,
        statement=statement,
        signed_at=now,
        item_snapshot=snapshot,
        evidence=[{"id": str(e.id), "file": e.original_name, "kind": e.kind, "sha256": e.sha256} for e in evidence],
        step=chained.number if chained else None,
        committee_id=chained.committee.id if chained and chained.committee else None,
        meeting_date=meeting_date if chained and chained.committee else None,
        on_behalf_of_committee=chained.committee.name if chained and chained.committee else None,
        auth_method="sso" if signing_grant is not None else "password",
    )
    session.add(signoff)
    session.flush()
    record_event(
        session, signer, "item.signed_off", entity="item", entity_key=key, institution_id=program.institution_id,
        program_id=program.id, before={"status": ItemStatus.DONE.value, "version": expected_version},
        after={"status": (ItemStatus.SIGNED_OFF if completes else ItemStatus.DONE).value,
               "version": expected_version + 1, "role": role_name,
               "meaning": meaning.value, "statement": statement, "evidence": signoff.evidence,
               "signoff_id": str(signoff.id)} | _step_facts(signoff, item),
    )
    session.commit()
    return signoff


def _step_facts(signoff: SignOff, item: ProgramItem) -> dict[str, object]:
    if signoff.step is None:
        return {}
    facts: dict[str, object] = {"step": signoff.step, "steps": len(item.approval_chain or [])}
    if signoff.on_behalf_of_committee:
        facts |= {"committee": signoff.on_behalf_of_committee, "meeting_date": str(signoff.meeting_date)}
    return facts


def revoke_signoff(session: Session, actor: User, signoff_id: uuid.UUID, reason: str) -> SignOff:
    """Withdraw a signature (the signer, or a champion); the item returns to done. A new record, never an edit."""
    signoff = session.get(SignOff, signoff_id)
    if signoff is None:
        raise NotFound("sign-off not found")
    program = get_program(session, signoff.program_id)
    held = require_member(session, actor, program.institution_id, what="sign-off")
    if is_service_account(session, actor):
        raise Forbidden("service accounts cannot revoke sign-offs: withdrawing a signature needs a person",
                        reason="service_account")
    if actor.id != signoff.signer_id and Role.CHAMPION not in held:
        raise Forbidden("only the signer or a champion can revoke a sign-off", required_roles=[Role.CHAMPION.value])
    if session.scalars(select(Revocation).where(col(Revocation.signoff_id) == signoff.id)).first():
        raise Conflict("this sign-off was already revoked")
    item = get_item(session, program.id, signoff.item_key)
    before_status, before_version = ItemStatus(item.status), item.version
    status, version = before_status, before_version
    now = utcnow()
    if status == ItemStatus.SIGNED_OFF or signoff.step is not None:
        # Guarded by the version read above, like every item change: of two simultaneous revocations (or a
        # revocation racing an edit, or a chain step racing it) exactly one moves the item; the other gets a 409.
        signed = status == ItemStatus.SIGNED_OFF
        moved = session.execute(
            update(ProgramItem)
            .where(col(ProgramItem.id) == item.id, col(ProgramItem.version) == version)
            .values(version=version + 1, updated_at=now,
                    **({"status": ItemStatus.DONE, "lapses_on": None} if signed else {}))
        ).rowcount  # type: ignore[attr-defined]
        if moved != 1:
            session.rollback()
            raise Conflict(f"item {item.key} was just changed or its sign-off revoked by someone else; reload")
        status, version = (ItemStatus.DONE if signed else status), version + 1
    try:
        session.add(
            Revocation(signoff_id=signoff.id, revoked_by_id=actor.id, revoked_by_name=actor.full_name,
                       reason=reason, revoked_at=now)
        )
        session.flush()
    except IntegrityError:  # revoked a moment ago by someone else (the item was not signed, so no row to race on)
        session.rollback()
        raise Conflict("this sign-off was already revoked") from None
    record_event(
        session, actor, "signoff.revoked", entity="item", entity_key=signoff.item_key,
        institution_id=program.institution_id, program_id=program.id,
        before={"status": before_status.value, "signoff_id": str(signoff.id), "version": before_version},
        after={"status": status.value, "reason": reason, "version": version} | _step_facts(signoff, item),
    )
    announce_revocation(
        session, signer_id=signoff.signer_id, signoff_id=signoff.id, program_id=program.id,
        program_title=program.title, key=signoff.item_key, revoked_by=actor.full_name, reason=reason,
        actor_id=actor.id,
    )
    if signoff.step is not None:
        _void_later_steps(session, actor, program, item, signoff, reason, status, version)
    session.commit()
    return signoff


def _void_later_steps(
    session: Session, actor: User, program: Program, item: ProgramItem, revoked: SignOff, reason: str,
    status: ItemStatus, version: int,
) -> None:
    """Revoking a chain step voids the standing steps after it: each gets its own revocation record and event."""
    step = revoked.step or 0
    why = f"voided: step {step} was revoked ({reason})"
    for later in [s for s in standing_signoffs(session, item.id) if (s.step or 0) > step]:
        session.add(Revocation(signoff_id=later.id, revoked_by_id=actor.id, revoked_by_name=actor.full_name,
                               reason=why, revoked_at=utcnow()))
        session.flush()
        record_event(
            session, actor, "signoff.revoked", entity="item", entity_key=item.key,
            institution_id=program.institution_id, program_id=program.id,
            before={"status": status.value, "signoff_id": str(later.id), "version": version},
            after={"status": status.value, "reason": why, "version": version} | _step_facts(later, item),
        )
        announce_revocation(
            session, signer_id=later.signer_id, signoff_id=later.id, program_id=program.id,
            program_title=program.title, key=item.key, revoked_by=actor.full_name, reason=why, actor_id=actor.id,
        )


def signoff_records(
    session: Session, program_id: uuid.UUID, item_key: str | None = None
) -> list[SignOffRead]:
    """The sign-off register of a program (or one item), newest first, with revocations, in one query."""
    query = (
        select(SignOff, Revocation)
        .outerjoin(Revocation, col(Revocation.signoff_id) == SignOff.id)
        .where(col(SignOff.program_id) == program_id)
    )
    if item_key:
        query = query.where(col(SignOff.item_key) == item_key)
    rows = session.execute(query.order_by(col(SignOff.signed_at).desc())).all()
    return [
        SignOffRead(
            **{k: getattr(signoff, k) for k in SignOffRead.model_fields if k != "revocation"},
            revocation=RevocationRead.model_validate(revocation, from_attributes=True) if revocation else None,
        )
        for signoff, revocation in rows
    ]


def signoff_record(session: Session, signoff: SignOff) -> SignOffRead:
    """One signature as the register shows it."""
    return next(r for r in signoff_records(session, signoff.program_id, signoff.item_key) if r.id == signoff.id)


def signoff_queue(session: Session, user: User) -> list[tuple[Program, ProgramItem]]:
    """Items awaiting a signature from the user, across their institutions, oldest due first: a role they hold, or
    the next step of an approval chain that is theirs (their role, or a committee they sit on)."""
    from app.auth.models import Membership

    holds_role = exists().where(
        col(Membership.user_id) == user.id, col(Membership.institution_id) == Program.institution_id,
        col(Membership.role) == ProgramItem.signoff_role,
    )
    rows = session.execute(
        select(Program, ProgramItem)
        .join(ProgramItem, col(ProgramItem.program_id) == Program.id)
        .where(
            or_(and_(col(ProgramItem.approval_chain).is_(None), holds_role), next_step_waits_for(user.id)),
            col(ProgramItem.status) == ItemStatus.DONE,
            ~col(ProgramItem.retired),
        )
        .order_by(col(ProgramItem.due_date).is_(None), col(ProgramItem.due_date), col(ProgramItem.position))
    ).all()
    return [(program, item) for program, item in rows]
