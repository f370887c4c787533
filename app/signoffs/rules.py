"""The rules an item must meet before it can be signed: one place, read by the sign-off service (which refuses
with the first that fails) and by the eligibility check (which lists them all in words for the page and the API)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.checklists.schema import evidence_kind_label
from app.errors import Conflict
from app.evidence.models import Evidence
from app.programs.models import ItemStatus, Program, ProgramItem
from app.programs.rules import counts_as_complete
from app.programs.service import DEFINITION_FIELDS
from app.signoffs.chains import changed_since
from app.signoffs.models import SignOff


@dataclass(frozen=True)
class Blocker:
    """A rule the item does not meet yet: `detail` in the API's words, `advice` says what to do first."""

    reason: str  # "status", "chain", "dependencies" or "evidence"
    detail: str
    advice: str
    facts: dict[str, Any] = field(default_factory=dict)

    def error(self) -> Conflict:
        return Conflict(self.detail, reason=self.reason, **self.facts)


def _lower(label: str) -> str:
    """'Standard operating procedure' → 'standard operating procedure' (in the middle of a sentence)."""
    return label[:1].lower() + label[1:]


def unsigned_dependencies(session: Session, item: ProgramItem, on: date) -> list[str]:
    """Keys of the items this one depends on that are neither signed off (and standing) nor not applicable."""
    if not item.depends_on:
        return []
    deps = session.scalars(
        select(ProgramItem).where(
            col(ProgramItem.program_id) == item.program_id, col(ProgramItem.key).in_(item.depends_on)
        )
    ).all()
    return sorted(
        d.key for d in deps
        if d.status != ItemStatus.NOT_APPLICABLE
        and not (d.status == ItemStatus.SIGNED_OFF and counts_as_complete(d.status, d.criticality, d.lapses_on, on))
    )


def item_blockers(
    session: Session, item: ProgramItem, evidence: Sequence[Evidence], *, step: int | None,
    previous: SignOff | None, on: date,
) -> list[Blocker]:
    """Every rule about the item itself that stops a signature now, in the order the service checks them.
    `step` is the chain step being signed (None: an item signed by one signature), `previous` the standing
    signature of the step before it, `evidence` the item's current evidence."""
    key = item.key
    blockers = []
    if item.status != ItemStatus.DONE:
        state = str(item.status).replace("_", " ")
        advice = ("Already signed off" if item.status == ItemStatus.SIGNED_OFF
                  else "Not applicable: nothing to sign" if item.status == ItemStatus.NOT_APPLICABLE
                  else "Mark the item done first")
        blockers.append(Blocker("status", f"item {key} is {state}; only an item marked done can be signed off",
                                advice))
    if previous is not None and step is not None:
        content = {f: getattr(item, f) for f in DEFINITION_FIELDS} | {"notes": item.notes}
        changed = changed_since(previous, content)
        if changed:
            blockers.append(Blocker(
                "chain", f"item {key} changed ({', '.join(changed)}) after step {step - 1} was signed; revoke the "
                "chain's first step and sign it again",
                f"The item changed ({', '.join(changed)}) after step {step - 1} was signed: revoke step 1 and "
                "sign the chain again",
            ))
    unsigned = unsigned_dependencies(session, item, on) if step is None or step == 1 else []
    if unsigned:
        blockers.append(Blocker(
            "dependencies", f"item {key} depends on items not yet signed off: {', '.join(unsigned)}",
            f"Sign off {', '.join(unsigned)} first", {"unsigned_dependencies": unsigned},
        ))
    missing = sorted(set(item.evidence_kinds) - {e.kind for e in evidence})
    if missing:
        words = " and the ".join(_lower(evidence_kind_label(k)) for k in missing)
        blockers.append(Blocker(
            "evidence", f"item {key} needs current evidence of kind: {', '.join(missing)}",
            f"Attach the {words} first", {"missing_evidence": missing},
        ))
    return blockers


def check_signer_role(session: Session, signer: User, program: Program, item: ProgramItem) -> None:
    """Refuse a signer who does not hold the sign-off role of an item signed by one signature (a superuser
    neither: a signature is a person's, in a role)."""
    require_member(session, signer, program.institution_id, [Role(item.signoff_role)], superuser_allowed=False,
                   what="program")
