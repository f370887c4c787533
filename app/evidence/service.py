"""Attach, list, serve and remove evidence. Removal is a soft delete: the audit trail and any signature keep
pointing at what was there."""

import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.clock import today, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.evidence.files import LocalStorage, safe_name
from app.evidence.models import Evidence
from app.programs.models import Program, ProgramItem
from app.signoffs.standing import lapse_signature_relying_on


def add_evidence(
    session: Session,
    storage: LocalStorage,
    actor: User,
    program: Program,
    item: ProgramItem,
    *,
    source: BinaryIO,
    filename: str,
    kind: str,
    expires_on: date | None,
    max_bytes: int,
) -> Evidence:
    """Store a file against an item. Its kind must be one the item expects (or `other`)."""
    allowed = [*item.evidence_kinds, "other"]
    if kind not in allowed:
        expected = ", ".join(allowed)
        raise Invalid(f"'{kind}' is not evidence this item expects (expected one of: {expected})", field="kind")
    if expires_on is not None and expires_on <= today():
        raise Invalid("the expiry date must be in the future", field="expires_on")
    name = safe_name(filename)
    stored = storage.save(source, name, max_bytes)
    evidence = Evidence(
        program_id=program.id,
        item_id=item.id,
        item_key=item.key,
        kind=kind,
        original_name=name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        uploaded_by_id=actor.id,
        uploaded_by_name=actor.full_name,
        expires_on=expires_on,
    )
    try:
        session.add(evidence)
        session.flush()
        record_event(
            session, actor, "evidence.added", entity="evidence", entity_key=item.key,
            institution_id=program.institution_id, program_id=program.id,
            after={"file": name, "kind": kind, "sha256": stored.sha256, "expires_on": expires_on},
        )
        session.commit()
    except BaseException:
        session.rollback()
        storage.delete(stored.stored_name)  # nothing half-stored: no row, no orphan file
        raise
    return evidence


def item_evidence(session: Session, item_id: uuid.UUID) -> Sequence[Evidence]:
    query = select(Evidence).where(col(Evidence.item_id) == item_id, col(Evidence.removed_at).is_(None))
    return session.scalars(query.order_by(col(Evidence.uploaded_at))).all()


def program_evidence(session: Session, program_id: uuid.UUID) -> Sequence[Evidence]:
    """The evidence index of a program, by item then upload time."""
    query = select(Evidence).where(col(Evidence.program_id) == program_id, col(Evidence.removed_at).is_(None))
    return session.scalars(query.order_by(col(Evidence.item_key), col(Evidence.uploaded_at))).all()


def current_evidence(evidence: Sequence[Evidence], on: date) -> list[Evidence]:
    return [e for e in evidence if e.expires_on is None or e.expires_on > on]


def get_evidence(session: Session, evidence_id: uuid.UUID) -> Evidence:
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.removed_at is not None:
        raise NotFound("evidence not found")
    return evidence


def evidence_path(storage: LocalStorage, evidence: Evidence) -> Path:
    path = storage.path_of(evidence.stored_name)
    if not path.is_file():
        raise NotFound("the evidence file is missing from storage")
    return path


def remove_evidence(session: Session, actor: User, program: Program, evidence: Evidence) -> None:
    """Withdraw a file. If a standing signature relied on it, the item's sign-off lapses today."""
    if evidence.removed_at is not None:
        raise Conflict("this evidence was already removed")
    evidence.removed_at = utcnow()
    session.add(evidence)
    relied_on = lapse_signature_relying_on(session, evidence.item_id, evidence.sha256)
    record_event(
        session, actor, "evidence.removed", entity="evidence", entity_key=evidence.item_key,
        institution_id=program.institution_id, program_id=program.id,
        before={"file": evidence.original_name, "sha256": evidence.sha256},
        after={"signature_lapsed": relied_on},
    )
    session.commit()
