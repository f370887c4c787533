"""What `GET /api/me/work` answers."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class WorkItem(BaseModel):
    program_id: uuid.UUID
    program_title: str
    key: str
    title: str
    status: str
    due_date: date | None
    lapses_on: date | None
    overdue: bool = Field(description="Due before today and not finished")
    signoff_role: str


class MentionItem(BaseModel):
    comment_id: uuid.UUID
    program_id: uuid.UUID
    program_title: str
    key: str
    title: str
    author_name: str
    body: str
    at: datetime


class WorkCounts(BaseModel):
    due: int
    to_sign: int
    lapsing: int
    mentions: int

    @property
    def total(self) -> int:
        return self.due + self.to_sign + self.lapsing + self.mentions


class MyWork(BaseModel):
    due: list[WorkItem] = Field(description=f"Items you own, overdue or due within {14} days, soonest first")
    to_sign: list[WorkItem] = Field(description="Items marked done that wait for a signature from a role you hold")
    lapsing: list[WorkItem] = Field(description="Signed items you own or gave evidence for whose sign-off lapses "
                                                "within 30 days (or has lapsed)")
    mentions: list[MentionItem] = Field(description="The latest comments that mention you, newest first")
    counts: WorkCounts
