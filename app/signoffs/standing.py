"""Which signature stands for an item, and what withdrawing a file it relied on does to it.

Signing builds on evidence (it checks the files an item needs), and removing evidence must lapse a signature that
relied on the file. That lapse rule is about signatures, but living in signoffs.service it made evidence.service
import its own importer. Here, below both services and using only models, each can call it: imports flow one way.
"""

import uuid

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


def lapse_signature_relying_on(session: Session, item_id: uuid.UUID, sha256: str) -> bool:
    """If the item's standing signature relied on the file with this hash, the sign-off lapses today."""
    signoff = active_signoff(session, item_id)
    if signoff is None or not any(e["sha256"] == sha256 for e in signoff.evidence):
        return False
    session.execute(
        update(ProgramItem)
        .where(col(ProgramItem.id) == item_id, col(ProgramItem.status) == ItemStatus.SIGNED_OFF)
        .values(lapses_on=today(), version=ProgramItem.version + 1, updated_at=utcnow())
    )
    return True
