"""What `GET /api/search` answers: four groups, each capped, saying whether more matched."""

import uuid
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

MAX_QUERY_LENGTH = 100
PER_GROUP = 10

T = TypeVar("T")


class ItemHit(BaseModel):
    program_id: uuid.UUID
    program_title: str
    key: str
    title: str
    status: str
    local: bool


class EvidenceHit(BaseModel):
    id: uuid.UUID
    program_id: uuid.UUID
    program_title: str
    item_key: str
    file_name: str
    kind: str
    uploaded_at: datetime
    withdrawn: bool = Field(description="The file was withdrawn; it is kept for the record")


class PersonHit(BaseModel):
    id: uuid.UUID
    full_name: str
    email: str
    institution_id: uuid.UUID
    institution_name: str
    roles: list[str]


class ReportHit(BaseModel):
    number: str
    program_id: uuid.UUID
    program_title: str
    kind: str
    created_at: datetime
    final: bool


class Group(BaseModel, Generic[T]):
    results: list[T]
    more: bool = Field(description=f"More than {PER_GROUP} matched: type more of the name to narrow them")


class SearchResults(BaseModel):
    q: str = Field(description="The search text as used (white space trimmed)")
    items: Group[ItemHit] = Field(description="Items whose key or title holds every word")
    evidence: Group[EvidenceHit] = Field(description="Evidence files whose name holds every word")
    people: Group[PersonHit] = Field(description="Members of your institutions whose name or email holds every word")
    reports: Group[ReportHit] = Field(description="Reports whose number holds every word")

    @property
    def total(self) -> int:
        return sum(len(g.results) for g in (self.items, self.evidence, self.people, self.reports))
