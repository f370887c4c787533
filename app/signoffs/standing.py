"""Which signature stands for an item, when an item counts as signed off, and what withdrawing a file a signature
relied on does to it.

An item is signed off by one signature, or by an approval chain (1, 2, ... n) whose steps stand in order: only the
last step's signature makes it signed off (`completes_item`); revoking a step voids the steps after it.

Signing builds on evidence (it checks the files an item needs), and removing evidence must lapse a signature that
relied on the file. That lapse rule is about signatures, but living in signoffs.service it made evidence.service
import its own importer. Here, below both services and using only models, each can call it: imports flow one way.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.clock import today, utcnow
from app.programs.models import ItemStatus, ProgramItem
from app.signoffs.models import Revocation, SignOff


def active_signoff(session: Session, item_id: uuid.UUID) -> SignOff | None:
    """The standing (unrevoked) signature of an item, if any."""
    return session.scalars(
        select(SignOff)
        .outerjoin(Revocation, col(Revocation.signoff_id) == SignOff.id)
        .where(col(SignOff.item_id) == item_id, col(Revocation.id).is_(None))
        .order_by(col(SignOff.signed_at).desc())
    ).first()


def standing_signoffs(session: Session, item_id: uuid.UUID) -> list[SignOff]:
    """Every unrevoked signature of an item: one, or the chain steps that stand, in step order."""
    return list(
        session.scalars(
            select(SignOff)
            .outerjoin(Revocation, col(Revocation.signoff_id) == SignOff.id)
            .where(col(SignOff.item_id) == item_id, col(Revocation.id).is_(None))
            .order_by(col(SignOff.step), col(SignOff.signed_at))
        ).all()
    )


def standing_steps(signoffs: Sequence[SignOff]) -> dict[int, SignOff]:
    """The standing chain steps by number (revoking a step voids those after it, so they are always 1..k)."""
    return {s.step: s for s in signoffs if s.step is not None}


def completes_item(chain: Sequence[object] | None, step: int | None) -> bool:
    """Whether a signature (of `step`, None for a single signature) makes the item signed off: the one place that
    says a chain counts only when its last step stands."""
    if not chain:
        return step is None
    return step == len(chain)


def lapse_signature_relying_on(session: Session, item_id: uuid.UUID, sha256: str) -> bool:
    """If a standing signature of the item (any chain step) relied on the file with this hash, the sign-off lapses
    today."""
    if not any(any(e["sha256"] == sha256 for e in s.evidence) for s in standing_signoffs(session, item_id)):
        return False
    session.execute(
        update(ProgramItem)
        .where(col(ProgramItem.id) == item_id, col(ProgramItem.status) == ItemStatus.SIGNED_OFF)
        .values(lapses_on=today(), version=ProgramItem.version + 1, updated_at=utcnow())
    )
    return True
