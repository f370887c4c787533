"""Packet definitions over HTTP."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.text import NO_NUL, NoNul


class PacketKindRead(BaseModel):
    kind: str
    title: str
    audience: str
    institution_id: uuid.UUID | None = Field(description="Set for an institution's adapted definition")
    number: int | None = Field(description="The adapted definition's number; null for the packaged one")


class PacketDefinitionRead(BaseModel):
    kind: str
    institution_id: uuid.UUID
    source: str = Field(description="'packaged' or 'institution'")
    number: int | None
    title: str
    yaml: str
    created_by_name: str | None
    created_at: datetime | None


class PacketDefinitionUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: Annotated[str, Field(min_length=1, max_length=64_000), NoNul, NO_NUL]
