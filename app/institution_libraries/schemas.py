"""Bodies of the institution library routes."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class InstitutionLibraryRead(BaseModel):
    """One uploaded version of an institution's library."""

    institution_id: uuid.UUID
    library_id: str
    version: str
    title: str
    items: int
    source_name: str
    source_sha256: str
    uploaded_by: uuid.UUID | None
    uploaded_by_name: str | None
    uploaded_at: datetime


class LibraryProblems(BaseModel):
    """A refused upload: every problem found, each naming its sheet, row and column (or line)."""

    detail: str
    problems: list[str]


class MissingFile(BaseModel):
    """The request itself was malformed (no file part): FastAPI's own validation answer."""

    detail: list[dict[str, Any]]
