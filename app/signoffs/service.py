"""Signing an item off, and revoking a signature.

A signature is an electronic signature: the signer re-enters the password, chooses what the signature means,
and the record keeps the item's content and the evidence hashes as they were at that moment.
"""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.auth.service import check_password
from app.clock import today, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from app.evidence.models import Evidence
from app.evidence.service import current_evidence, item_evidence
from app.notifications.service import announce_revocation
from app.programs.models import ItemStatus, Program, ProgramItem
from app.programs.rules import add_months, counts_as_complete
from app.programs.service import DEFINITION_FIELDS, current_state, get_item, get_program
from app.signoffs.models import Meaning, Revocation, SignOff
from app.signoffs.schemas import RevocationRead, SignOffRead
from app.sso.grants import use_signing_grant


def _unsigned_dependencies(session: Session, item: ProgramItem) -> list[str]:
    if not item.depends_on:
        return []
    deps = session.scalars(
        select(ProgramItem).where(
            col(ProgramItem.program_id) == item.program_id, col(ProgramItem.key).in_(item.depends_on)
        )
    ).all()
    on = today()
    return sorted(
        d.key for d in deps
        if d.status != ItemStatus.NOT_APPLICABLE
        and not (d.status == ItemStatus.SIGNED_OFF and counts_as_complete(d.status, d.criticality, d.lapses_on, on))
    )


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
    meaning: Meaning,
    statement: str,
    expected_version: int | None,
) -> SignOff:
    """Sign an item off, if every rule holds; exactly one of several simultaneous signers succeeds."""
    item = get_item(session, program.id, key)
    role = Role(item.signoff_role)
    require_member(session, signer, program.institution_id, [role], superuser_allowed=False, what="program")
    if signing_grant is not None:  # people who sign in with SSO re-authenticate at their provider (app/sso)
        use_signing_grant(session, signer, signing_grant)
    elif signer.password_hash is None:
        raise Unauthorized("you sign in without a password: confirm your identity at your provider "
                           "(POST /api/sso/signing-grants) and send the signing_grant")
    else:
        check_password(session, signer, password or "")  # throttled and audited like a login
    if expected_version is None:
        raise Invalid("send the item version you are signing (If-Match header or 'version')", field="version")
    if expected_version != item.version:
        raise Conflict(f"item {key} changed since you opened it; review it again", current=current_state(session, item))
    if item.status != ItemStatus.DONE:
        state = item.status.replace("_", " ")
        raise Conflict(f"item {key} is {state}; only an item marked done can be signed off", reason="status")
    unsigned = _unsigned_dependencies(session, item)
    if unsigned:
        raise Conflict(
            f"item {key} depends on items not yet signed off: {', '.join(unsigned)}",
            reason="dependencies", unsigned_dependencies=unsigned,
        )
    signed_on = today()
    evidence = current_evidence(item_evidence(session, item.id), signed_on)
    missing = sorted(set(item.evidence_kinds) - {e.kind for e in evidence})
    if missing:
        raise Conflict(
            f"item {key} needs current evidence of kind: {', '.join(missing)}",
            reason="evidence", missing_evidence=missing,
        )
    now = utcnow()
    won = session.execute(
        update(ProgramItem)
        .where(col(ProgramItem.id) == item.id, col(ProgramItem.version) == expected_version)
        .values(
            status=ItemStatus.SIGNED_OFF, completed_at=now, lapses_on=_lapse_date(item, evidence, signed_on),
            version=expected_version + 1, updated_at=now,
        )
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
        role=role.value,
        meaning=meaning.value,
        statement=statement,
        signed_at=now,
        item_snapshot=snapshot,
        evidence=[{"id": str(e.id), "file": e.original_name, "kind": e.kind, "sha256": e.sha256} for e in evidence],
        auth_method="sso" if signing_grant is not None else "password",
    )
    session.add(signoff)
    session.flush()
    record_event(
        session, signer, "item.signed_off", entity="item", entity_key=key, institution_id=program.institution_id,
        program_id=program.id, before={"status": ItemStatus.DONE.value, "version": expected_version},
        after={"status": ItemStatus.SIGNED_OFF.value, "version": expected_version + 1, "role": role.value,
               "meaning": meaning.value, "statement": statement, "evidence": signoff.evidence,
               "signoff_id": str(signoff.id)},
    )
    session.commit()
    return signoff


def revoke_signoff(session: Session, actor: User, signoff_id: uuid.UUID, reason: str) -> SignOff:
    """Withdraw a signature (the signer, or a champion); the item returns to done. A new record, never an edit."""
    signoff = session.get(SignOff, signoff_id)
    if signoff is None:
        raise NotFound("sign-off not found")
    program = get_program(session, signoff.program_id)
    held = require_member(session, actor, program.institution_id, what="sign-off")
    if actor.id != signoff.signer_id and Role.CHAMPION not in held:
        raise Forbidden("only the signer or a champion can revoke a sign-off", required_roles=[Role.CHAMPION.value])
    if session.scalars(select(Revocation).where(col(Revocation.signoff_id) == signoff.id)).first():
        raise Conflict("this sign-off was already revoked")
    item = get_item(session, program.id, signoff.item_key)
    before_status, before_version = ItemStatus(item.status), item.version
    status, version = before_status, before_version
    now = utcnow()
    if status == ItemStatus.SIGNED_OFF:
        # Guarded by the version read above, like every item change: of two simultaneous revocations (or a
        # revocation racing an edit) exactly one moves the item; the other gets a clean 409.
        moved = session.execute(
            update(ProgramItem)
            .where(col(ProgramItem.id) == item.id, col(ProgramItem.version) == version)
            .values(status=ItemStatus.DONE, lapses_on=None, version=version + 1, updated_at=now)
        ).rowcount  # type: ignore[attr-defined]
        if moved != 1:
            session.rollback()
            raise Conflict(f"item {item.key} was just changed or its sign-off revoked by someone else; reload")
        status, version = ItemStatus.DONE, version + 1
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
        after={"status": status.value, "reason": reason, "version": version},
    )
    announce_revocation(
        session, signer_id=signoff.signer_id, signoff_id=signoff.id, program_id=program.id,
        program_title=program.title, key=signoff.item_key, revoked_by=actor.full_name, reason=reason,
        actor_id=actor.id,
    )
    session.commit()
    return signoff


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
    """Items awaiting a signature from a role the user holds, across their institutions, oldest due first."""
    from app.auth.models import Membership

    rows = session.execute(
        select(Program, ProgramItem)
        .join(ProgramItem, col(ProgramItem.program_id) == Program.id)
        .join(
            Membership,
            (col(Membership.institution_id) == Program.institution_id)
            & (col(Membership.role) == ProgramItem.signoff_role),
        )
        .where(
            col(Membership.user_id) == user.id,
            col(ProgramItem.status) == ItemStatus.DONE,
            ~col(ProgramItem.retired),
        )
        .order_by(col(ProgramItem.due_date).is_(None), col(ProgramItem.due_date), col(ProgramItem.position))
    ).all()
    return [(program, item) for program, item in rows]
