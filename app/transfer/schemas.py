"""The program archive (`*.gtready.zip`): what it holds and how its manifest reads.

```
manifest.json               the Manifest below, UTF-8 JSON
manifest.sha256             "<sha256 of manifest.json>  manifest.json"
evidence/<sha256>           each evidence file once, named by its content hash
reports/<sha256>.pdf        each stored report's PDF, named by its content hash
```
Rows are the database rows as JSON (the table models' own field names and types), so the manifest reads like
the schema and is validated by the same models on import. Users carry no secrets: no password hash, no
superuser flag, no sessions or API tokens.
"""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT = "gtready-program"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.sha256"
EVIDENCE_DIR = "evidence/"
REPORTS_DIR = "reports/"
MEMBER_NAME = r"^(evidence/[0-9a-f]{64}|reports/[0-9a-f]{64}\.pdf)$"

Row = dict[str, Any]


class ExportedUser(BaseModel):
    """A person the program refers to. Imported without a password unless the email already exists."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    email: str = Field(min_length=3, max_length=254)
    full_name: str = Field(max_length=200)
    is_active: bool = True


class ExportedMembership(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID
    role: str = Field(max_length=32)
    created_at: datetime


class ExportedCommittee(BaseModel):
    """A committee the program's sign-offs or approval chains name; imported by slug into the target institution."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    slug: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["gtready-program"]
    format_version: Literal[1]
    exported_at: datetime
    gtready_version: str
    institution: Row
    program: Row
    items: list[Row]
    signoffs: list[Row]
    revocations: list[Row]
    evidence: list[Row]
    reports: list[Row]  # without the PDF bytes: those are the file reports/<pdf_sha256>.pdf
    scenarios: list[Row]
    users: list[ExportedUser]
    memberships: list[ExportedMembership]  # every role held in the program's institution
    audit_events: list[Row]  # the program's events in chain order, with their original seq, prev_hash and hash
    # Every version of every comment, and whom each version mentions (absent from archives made before comments).
    comments: list[Row] = []
    comment_mentions: list[Row] = []
    # The committees sign-offs (committee_id) and approval chains (slug) name (absent from archives made before them).
    committees: list[ExportedCommittee] = []
    files: dict[str, str] = Field(description="archive member name -> SHA-256 of its bytes")


def evidence_member(sha256: str) -> str:
    return f"{EVIDENCE_DIR}{sha256}"


def report_member(pdf_sha256: str) -> str:
    return f"{REPORTS_DIR}{pdf_sha256}.pdf"
