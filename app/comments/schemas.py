"""Request and response bodies of the comments API."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from app.text import NOT_BLANK


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")  # PostgreSQL cannot store it
    return value


CommentText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), AfterValidator(_no_nul), NOT_BLANK
]


class CommentCreate(BaseModel):
    body: CommentText = Field(description="Plain text; @email or @handle (an email's part before the @) of a member "
                                          "of the institution mentions them")


class CommentEdit(BaseModel):
    body: CommentText
    version: int = Field(ge=1, description="The version being replaced, as last read (409 if another came since)")


class MentionRead(BaseModel):
    id: uuid.UUID
    full_name: str


class CommentVersion(BaseModel):
    version: int
    body: str
    created_at: datetime


class CommentRead(BaseModel):
    id: uuid.UUID = Field(description="The comment's id, the same for all its versions")
    version: int
    program_id: uuid.UUID
    item_key: str
    author_id: uuid.UUID | None
    author_name: str
    body: str
    mentions: list[MentionRead]
    created_at: datetime = Field(description="When the comment was first posted")
    edited_at: datetime | None = Field(description="When the current version was written, if it is an edit")
    history: list[CommentVersion] = Field(description="Earlier versions, oldest first")
