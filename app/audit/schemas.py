"""Response bodies of the audit API."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    actor_name: str
    program_id: uuid.UUID | None
    entity: str
    entity_key: str
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    hash: str


class MissingEvents(BaseModel):
    first: int
    last: int | None  # None: at least `first` is gone, how many after it cannot be told


class ChainVerification(BaseModel):
    valid: bool
    events: int
    first_bad_seq: int | None
    problem: str | None
    missing_tail: MissingEvents | None = None  # events cut from the end of the trail
    anchors_checked: int = 0  # checkpoints, report snapshots and a head kept elsewhere that the trail was held to


class AuditHead(BaseModel):
    """The trail's newest event at some moment: what a report snapshot records and an operator keeps offsite."""

    seq: int  # events are numbered 1, 2, 3 ..., so this is also how many the trail had
    hash: str
    at: datetime
    first_hash: str  # event 1's hash: tells this deployment's trail from another's (imported reports keep theirs)
