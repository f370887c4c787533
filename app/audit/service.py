"""The one place that writes audit events, and the check that none was altered or removed.

Each event's hash covers its content and the previous event's hash, so changing or deleting any event breaks
every hash after it. Appends are serialised (an advisory lock on PostgreSQL; SQLite allows one writer) so two
writers cannot fork the chain, and the event is written in the caller's transaction, with the change it records.

Deleting the newest events leaves a shorter chain that still links up, so the chain's head is anchored outside it:
checkpoints (every CHECKPOINT_EVERY events and on `gtready audit checkpoint`, chained among themselves), the head
each report snapshot records (and prints, so copies of it live outside the database), and a head the operator kept
elsewhere (`gtready audit head`, compared by `verify --expect-head`). Deleting the tail and the newest checkpoint
together still leaves the reports and the offsite head, and an anchor whose event is still there but with another
hash shows a rewritten chain.
"""

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import Session, col

from app.audit.models import AuditCheckpoint, AuditEvent
from app.audit.schemas import AuditHead
from app.auth.models import User
from app.clock import utcnow
from app.errors import Conflict, Invalid
from app.pagination import PageParams
from app.reports.models import Report

GENESIS = "0" * 64
_CHAIN_LOCK = 7_240_001  # pg_advisory_xact_lock key for appends (and checkpoints)
CHECKPOINT_EVERY = 100  # events between the checkpoints the writer takes by itself


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
    _lock_chain(session)
    last = select(col(AuditEvent.seq), col(AuditEvent.hash)).order_by(col(AuditEvent.seq).desc()).limit(1)
    head = session.execute(last).first()
    if head and head[0] % CHECKPOINT_EVERY == 0:
        # The head is checkpointed as the next event is appended, not as it is written: by now its hash is final
        # (an import re-stamps a restored event after this returns it), and the two commit together.
        _append_checkpoint(session, head[0], head[1], f"every {CHECKPOINT_EVERY} events")
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


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})


def checkpoint_hash(checkpoint: AuditCheckpoint) -> str:
    content = {
        "number": checkpoint.number,
        "at": checkpoint.at.isoformat(),
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "reason": checkpoint.reason,
        "prev_hash": checkpoint.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _append_checkpoint(session: Session, seq: int, head_hash: str, reason: str) -> AuditCheckpoint:
    """Chain a checkpoint of event `seq` after the newest one (the caller holds the chain lock)."""
    last = session.execute(
        select(col(AuditCheckpoint.number), col(AuditCheckpoint.hash))
        .order_by(col(AuditCheckpoint.number).desc())
        .limit(1)
    ).first()
    number, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    checkpoint = AuditCheckpoint(
        number=number, at=utcnow(), seq=seq, head_hash=head_hash, reason=reason, prev_hash=prev_hash, hash=""
    )
    checkpoint.hash = checkpoint_hash(checkpoint)
    session.add(checkpoint)
    session.flush()
    return checkpoint


def chain_head(session: Session) -> AuditHead | None:
    """The newest event (seq, hash, time) and the first one's hash, in one query; None while the trail is empty."""
    ends = [select(func.min(AuditEvent.seq)).scalar_subquery(), select(func.max(AuditEvent.seq)).scalar_subquery()]
    rows = session.execute(
        select(col(AuditEvent.seq), col(AuditEvent.hash), col(AuditEvent.at))
        .where(col(AuditEvent.seq).in_(ends))
        .order_by(col(AuditEvent.seq))
    ).all()
    if not rows:
        return None
    first, newest = rows[0], rows[-1]
    return AuditHead(seq=newest[0], hash=newest[1], at=newest[2], first_hash=first[1])


def write_checkpoint(session: Session, reason: str) -> AuditCheckpoint:
    """Checkpoint the current head now (e.g. before a backup, or from a scheduled job) and commit."""
    _lock_chain(session)
    head = session.execute(
        select(col(AuditEvent.seq), col(AuditEvent.hash)).order_by(col(AuditEvent.seq).desc()).limit(1)
    ).first()
    if head is None:
        raise Conflict("the audit trail is empty: there is no head to checkpoint")
    checkpoint = _append_checkpoint(session, head[0], head[1], reason)
    session.commit()
    return checkpoint


@dataclass(frozen=True)
class Anchor:
    """A record, kept apart from the events, that the trail once reached event `seq` and that event had `hash`."""

    seq: int
    hash: str
    source: str  # how a problem names it: "checkpoint 7 of 2026-11-30 05:00 UTC"
    first_hash: str | None = None  # a report's: whose trail it was taken from
    report: str | None = None  # a report's number: its own report.generated event comes after `seq`


def parse_head(value: str) -> Anchor:
    """`SEQ:HASH`, as `gtready audit head` prints it, into the anchor it stands for."""
    seq, _, digest = value.strip().partition(":")
    digest = digest.lower()
    if not seq.isdigit() or int(seq) < 1 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise Invalid("expected the head as SEQ:HASH (as `gtready audit head` prints it), e.g. 415:9f86d0...",
                      field="expect_head", location="query")
    return Anchor(int(seq), digest, f"the head kept elsewhere ({int(seq)}:{digest[:12]}...)")


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _checkpoint_anchors(session: Session) -> tuple[list[Anchor], str | None]:
    """Every intact checkpoint as an anchor, and the first break in the checkpoints' own chain."""
    anchors: list[Anchor] = []
    problem: str | None = None
    expected, prev_hash = 1, GENESIS
    for checkpoint in session.scalars(select(AuditCheckpoint).order_by(col(AuditCheckpoint.number))):
        intact = checkpoint_hash(checkpoint) == checkpoint.hash
        if problem is None:
            if checkpoint.number != expected:
                problem = f"checkpoint {expected} is missing (next is {checkpoint.number})"
            elif checkpoint.prev_hash != prev_hash:
                problem = f"checkpoint {checkpoint.number} does not follow checkpoint {checkpoint.number - 1}"
            elif not intact:
                problem = f"checkpoint {checkpoint.number} was altered after it was written"
        if intact:  # an altered checkpoint anchors nothing
            anchors.append(Anchor(checkpoint.seq, checkpoint.head_hash,
                                  f"checkpoint {checkpoint.number} of {_when(checkpoint.at)}"))
        expected, prev_hash = checkpoint.number + 1, checkpoint.hash
    return anchors, problem


def _report_anchors(session: Session, name_reports: bool) -> list[Anchor]:
    """The head each report snapshot recorded (snapshots from before heads were recorded have none)."""
    rows = session.execute(
        select(col(Report.number), col(Report.created_at), col(Report.data)["audit_head"])
    ).all()
    anchors = []
    for number, created_at, head in rows:
        if not isinstance(head, dict):
            continue
        name = f"report {number} ({_when(created_at)})" if name_reports else f"a report of {_when(created_at)}"
        anchors.append(Anchor(int(head["seq"]), str(head["hash"]), name, str(head["first_hash"]), number))
    return anchors


@dataclass(frozen=True)
class ChainReport:
    valid: bool
    events: int
    first_bad_seq: int | None = None
    problem: str | None = None
    missing_tail: tuple[int, int | None] | None = None  # first and last missing event (None: unknown how many)
    anchors_checked: int = 0


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


def verify_chain(session: Session, expected_head: Anchor | None = None, *, name_reports: bool = True) -> ChainReport:
    """Recompute every hash in order, then hold the trail to its anchors: name the first event altered or removed,
    including events cut from its end. `name_reports=False` names reports by date only (for viewers who may not
    know other institutions' report numbers)."""
    # Anchors first: whatever they name was committed before the events are read, so it must be there.
    checkpoints, checkpoint_problem = _checkpoint_anchors(session)
    anchors = [*checkpoints, *_report_anchors(session, name_reports), *([expected_head] if expected_head else [])]
    wanted = {anchor.seq for anchor in anchors}
    held: dict[int, str] = {}
    generated: dict[str, int] = {}  # report number -> seq of its report.generated event
    expected_seq, prev_hash, count, first_hash = 1, GENESIS, 0, None
    for event in _in_order(session):
        count += 1
        if event.seq != expected_seq:
            return ChainReport(False, count, expected_seq, f"event {expected_seq} is missing (next is {event.seq})")
        if event.prev_hash != prev_hash:
            return ChainReport(False, count, event.seq, f"event {event.seq} does not follow event {event.seq - 1}")
        if event_hash(event) != event.hash:
            return ChainReport(False, count, event.seq, f"event {event.seq} was altered after it was written")
        if event.seq == 1:
            first_hash = event.hash
        if event.seq in wanted:
            held[event.seq] = event.hash
        if event.action == "report.generated":
            generated[event.entity_key] = event.seq
        expected_seq, prev_hash = event.seq + 1, event.hash
    head = expected_seq - 1
    # A report brought by an import recorded the head of the trail it was made on, another deployment's.
    anchors = [a for a in anchors if a.first_hash is None or first_hash is None or a.first_hash == first_hash]
    checked = len(anchors)
    for anchor in sorted(anchors, key=lambda a: a.seq):
        if anchor.seq <= head and held[anchor.seq] != anchor.hash:
            return ChainReport(
                False, count, anchor.seq,
                f"event {anchor.seq} is not the event {anchor.source} recorded (its hash differs): the trail was "
                "rewritten from there or earlier", anchors_checked=checked,
            )
    ends = f"the trail now ends at event {head}" if head else "the trail is now empty"
    beyond = max(anchors, key=lambda a: a.seq, default=None)
    if beyond is not None and beyond.seq > head:
        missing = f"event {head + 1} is" if beyond.seq == head + 1 else f"events {head + 1}–{beyond.seq} are"
        return ChainReport(
            False, count, head + 1,
            f"{missing} missing from the end of the trail: {beyond.source} recorded event {beyond.seq}, {ends}",
            missing_tail=(head + 1, beyond.seq), anchors_checked=checked,
        )
    for anchor in anchors:  # a report's own event follows the head it recorded
        if anchor.report is not None and generated.get(anchor.report, 0) <= anchor.seq:
            return ChainReport(
                False, count, head + 1,
                f"events after event {head} are missing from the end of the trail: {anchor.source} was stored "
                f"after event {anchor.seq}, and the event recording it is gone",
                missing_tail=(head + 1, None), anchors_checked=checked,
            )
    if checkpoint_problem is not None:
        return ChainReport(False, count, None, checkpoint_problem, anchors_checked=checked)
    return ChainReport(True, count, anchors_checked=checked)


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
