"""Electronic signatures on items, and their revocations. Neither is ever edited or deleted."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime


class Meaning(StrEnum):
    REVIEWED = "reviewed"
    APPROVED = "approved"
    VERIFIED_ON_SITE = "verified_on_site"
    AUTHORED = "authored"  # the first step of an approval chain: the author signs what the committees approve


class SignOff(SQLModel, table=True):
    __tablename__ = "signoffs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True, ondelete="CASCADE")
    item_id: uuid.UUID = Field(foreign_key="program_items.id", index=True, ondelete="CASCADE")
    item_key: str = Field(max_length=40)
    signer_id: uuid.UUID = Field(foreign_key="users.id")
    signer_name: str = Field(max_length=200)
    role: str = Field(sa_type=String(32))
    meaning: str = Field(sa_type=String(32))
    statement: str = Field(default="", sa_type=Text)
    signed_at: datetime = Field(sa_type=UTCDateTime)
    item_snapshot: dict[str, Any] = Field(sa_type=JSON)  # the item's definition and state as signed
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # [{id, file, kind, sha256}]
    auth_method: str | None = Field(default=None, max_length=16)  # password | sso; None before it was kept
    # A step of the item's approval chain (1, 2, ...); None for an item signed by one signature.
    step: int | None = None
    committee_id: uuid.UUID | None = Field(default=None, foreign_key="committees.id", ondelete="SET NULL")
    meeting_date: date | None = None  # a committee step: the meeting that approved it
    on_behalf_of_committee: str | None = Field(default=None, max_length=200)  # the committee's name as signed


class Revocation(SQLModel, table=True):
    __tablename__ = "signoff_revocations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    signoff_id: uuid.UUID = Field(foreign_key="signoffs.id", unique=True)
    revoked_by_id: uuid.UUID = Field(foreign_key="users.id")
    revoked_by_name: str = Field(max_length=200)
    reason: str = Field(sa_type=Text)
    revoked_at: datetime = Field(sa_type=UTCDateTime)
