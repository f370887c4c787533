"""Request and response bodies of site dossiers."""

import uuid
from datetime import datetime

from pydantic import BaseModel

from app.text import Slug


class DossierRequest(BaseModel):
    product: Slug  # one product of the program's library, e.g. hemgenix


class ItemChange(BaseModel):
    """How one site requirement differs from the dossier last sent."""

    key: str
    title: str
    change: str  # added | removed | changed
    status_before: str | None = None
    status_after: str | None = None
    signature_before: str | None = None
    signature_after: str | None = None
    evidence_added: list[str] = []
    evidence_removed: list[str] = []
    evidence_replaced: list[str] = []


class DossierChanges(BaseModel):
    since: str | None = None  # the number of the dossier last sent; None when none was sent before
    since_sent_at: datetime | None = None
    items: list[ItemChange] = []


class DossierRead(BaseModel):
    number: str
    program_id: uuid.UUID
    product: str
    product_name: str
    created_at: datetime
    created_by_name: str
    zip_sha256: str
    items: int
    evidence_files: int
    sent_at: datetime | None
    sent_by_name: str | None
    changes: DossierChanges


class DossierVerification(BaseModel):
    matches: bool  # every file matches the manifest and the manifest matches the stored record
    number: str | None = None
    program: str | None = None
    product: str | None = None
    generated_at: datetime | None = None
    generated_by: str | None = None
    files_checked: int = 0
    zip_sha256_matches: bool = False  # the very zip generated (a re-packed but unaltered one still matches)
    problems: list[str] = []
