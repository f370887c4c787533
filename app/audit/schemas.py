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


class ChainVerification(BaseModel):
    valid: bool
    events: int
    first_bad_seq: int | None
    problem: str | None
