"""Request and response bodies of the sign-off API."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from app.signoffs.models import Meaning
from app.text import NO_NUL, NOT_BLANK, NoNul, Text


class SignOffCreate(BaseModel):
    password: Annotated[Text, Field(min_length=1, max_length=1000, description="Your password, re-entered")]
    meaning: Meaning
    statement: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul, NO_NUL] = ""
    version: int | None = Field(default=None, description="The item version you are signing (or If-Match)")


class RevocationCreate(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000), NoNul, NOT_BLANK]


class RevocationRead(BaseModel):
    revoked_by_id: uuid.UUID
    revoked_by_name: str
    reason: str
    revoked_at: datetime


class SignOffRead(BaseModel):
    id: uuid.UUID
    program_id: uuid.UUID
    item_key: str
    signer_id: uuid.UUID
    signer_name: str
    role: str
    meaning: Meaning
    statement: str
    signed_at: datetime
    item_snapshot: dict[str, Any]
    evidence: list[dict[str, Any]]
    revocation: RevocationRead | None = None
