"""The one place that writes audit events, and the check that none was altered or removed.

Each event's hash covers its content and the previous event's hash, so changing or deleting any event breaks
every hash after it. Appends are serialised (an advisory lock on PostgreSQL; SQLite allows one writer) so two
writers cannot fork the chain, and the event is written in the caller's transaction, with the change it records.
"""

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.auth.models import User
from app.clock import utcnow
from app.pagination import PageParams

GENESIS = "0" * 64
_CHAIN_LOCK = 7_240_001  # pg_advisory_xact_lock key for appends


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def event_hash(event: AuditEvent) -> str:
    content = {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "actor_name": event.actor_name,
        "institution_id": str(event.institution_id) if event.institution_id else None,
        "program_id": str(event.program_id) if event.program_id else None,
        "entity": event.entity,
        "entity_key": event.entity_key,
        "action": event.action,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record_event(
    session: Session,
    actor: User | None,
    action: str,
    *,
    entity: str,
    entity_key: str = "",
    institution_id: uuid.UUID | None = None,
    program_id: uuid.UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the chain inside the caller's transaction (the caller commits)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    last = select(col(AuditEvent.seq), col(AuditEvent.hash)).order_by(col(AuditEvent.seq).desc()).limit(1)
    head = session.execute(last).first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
    event = AuditEvent(
        seq=seq,
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_name=actor.full_name if actor else "system",
        institution_id=institution_id,
        program_id=program_id,
        entity=entity,
        entity_key=entity_key,
        action=action,
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    valid: bool
    events: int
    first_bad_seq: int | None = None
    problem: str | None = None


def _in_order(session: Session, batch: int = 2000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(col(AuditEvent.seq) > last).order_by(col(AuditEvent.seq)).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; name the first event that was altered, or where one was removed."""
    expected_seq, prev_hash, count = 1, GENESIS, 0
    for event in _in_order(session):
        count += 1
        if event.seq != expected_seq:
            return ChainReport(False, count, expected_seq, f"event {expected_seq} is missing (next is {event.seq})")
        if event.prev_hash != prev_hash:
            return ChainReport(False, count, event.seq, f"event {event.seq} does not follow event {event.seq - 1}")
        if event_hash(event) != event.hash:
            return ChainReport(False, count, event.seq, f"event {event.seq} was altered after it was written")
        expected_seq, prev_hash = event.seq + 1, event.hash
    return ChainReport(True, count)


def program_events(
    session: Session,
    program_id: uuid.UUID,
    page: PageParams,
    *,
    entity_key: str | None = None,
    actor_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEvent], int]:
    """A program's events, newest first, filtered by item, person and time."""
    from sqlalchemy import func

    query = select(AuditEvent).where(col(AuditEvent.program_id) == program_id)
    if entity_key:
        query = query.where(col(AuditEvent.entity_key) == entity_key)
    if actor_id:
        query = query.where(col(AuditEvent.actor_id) == actor_id)
    if since:
        query = query.where(col(AuditEvent.at) >= since)
    if until:
        query = query.where(col(AuditEvent.at) < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(col(AuditEvent.seq).desc()).limit(page.limit).offset(page.offset)).all()
    return list(rows), total
