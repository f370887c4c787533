"""Proof that each restored audit event is the event that was exported (see `app.transfer.service`)."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.audit.service import event_hash
from app.transfer.common import rows_of


def provenance_entry(restored: AuditEvent, original: AuditEvent) -> dict[str, Any]:
    """What the `program.imported` event keeps of one restored event: its original place in the old chain."""
    entry: dict[str, Any] = {
        "seq": restored.seq, "original_seq": original.seq, "original_prev_hash": original.prev_hash,
        "original_hash": original.hash,
    }
    if restored.actor_id != original.actor_id:
        entry["original_actor_id"] = str(original.actor_id) if original.actor_id else None
    if restored.institution_id != original.institution_id:
        entry["original_institution_id"] = str(original.institution_id) if original.institution_id else None
    return entry


def original_event(restored: AuditEvent, entry: dict[str, Any]) -> AuditEvent:
    """The event as it stood in the exporting chain, rebuilt from its restored copy and its provenance entry."""
    original = AuditEvent.model_validate(restored.model_dump())
    original.seq, original.prev_hash, original.hash = entry["original_seq"], entry["original_prev_hash"], ""
    if "original_actor_id" in entry:
        original.actor_id = uuid.UUID(entry["original_actor_id"]) if entry["original_actor_id"] else None
    if "original_institution_id" in entry:
        value = entry["original_institution_id"]
        original.institution_id = uuid.UUID(value) if value else None
    original.hash = event_hash(original)
    return original


@dataclass(frozen=True)
class ProvenanceReport:
    imports: int
    events: int
    problems: list[str]

    @property
    def valid(self) -> bool:
        return not self.problems


def verify_provenance(session: Session, program_id: uuid.UUID) -> ProvenanceReport:
    """Check that every restored event of a program is, byte for byte, the event its import says it was."""
    imports = rows_of(
        session, AuditEvent, col(AuditEvent.program_id) == program_id, col(AuditEvent.action) == "program.imported",
        order_by=col(AuditEvent.seq),
    )
    problems: list[str] = []
    checked = 0
    for imported in imports:
        entries = imported.after.get("restored_events", [])
        by_seq = {
            e.seq: e
            for e in rows_of(session, AuditEvent, col(AuditEvent.seq).in_([x["seq"] for x in entries]),
                           order_by=col(AuditEvent.seq))
        }
        for entry in entries:
            checked += 1
            restored = by_seq.get(entry["seq"])
            if restored is None or restored.program_id != program_id:
                problems.append(f"event {entry['seq']} (originally {entry['original_seq']}) is missing")
            elif original_event(restored, entry).hash != entry["original_hash"]:
                problems.append(f"event {entry['seq']} does not reproduce original event {entry['original_seq']}")
    return ProvenanceReport(len(imports), checked, problems)
