"""Request and response bodies of the committees API."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.text import Name, Slug


class CommitteeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug = Field(description="What approval chains name, e.g. 'pt' or 'mec'")
    name: Name
    chair_id: uuid.UUID | None = Field(default=None, description="A member of the institution; joins the committee")


class CommitteeUpdate(BaseModel):
    """Only the fields sent change; `chair_id: null` leaves the chair empty."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    chair_id: uuid.UUID | None = None


class CommitteeMemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID


class CommitteeMemberRead(BaseModel):
    user_id: uuid.UUID
    full_name: str
    email: str


class CommitteeRead(BaseModel):
    id: uuid.UUID
    institution_id: uuid.UUID
    slug: str
    name: str
    chair_id: uuid.UUID | None
    chair_name: str | None
    members: list[CommitteeMemberRead]
    created_at: datetime
