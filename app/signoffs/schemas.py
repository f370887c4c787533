"""Request and response bodies of the sign-off API."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.signoffs.models import Meaning
from app.text import NO_NUL, NOT_BLANK, NoNul, Slug, Text


class SignOffCreate(BaseModel):
    password: Annotated[Text, Field(min_length=1, max_length=1000, description="Your password, re-entered")] | None = (
        None
    )
    signing_grant: Annotated[Text, Field(min_length=1, max_length=200, description=(
        "Instead of a password, for people who sign in with SSO: a grant from POST /api/sso/signing-grants, "
        "confirmed at the provider within the last 5 minutes"))] | None = None
    totp_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), NoNul] | None = Field(
        default=None, description="Your authenticator app's code, if you use two-factor authentication")
    meaning: Meaning
    statement: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul, NO_NUL] = ""
    version: int | None = Field(default=None, description="The item version you are signing (or If-Match)")
    step: int | None = Field(default=None, ge=1, le=10, description=(
        "An item with an approval chain: the step you sign (default: the next one)"))
    committee: Slug | None = Field(default=None, description="A committee step: the committee you sign on behalf of")
    meeting_date: date | None = Field(default=None, description=(
        "A committee step: the date of the meeting that approved it (required, not in the future)"))

    @model_validator(mode="after")
    def proof_of_identity(self) -> "SignOffCreate":
        if (self.password is None) == (self.signing_grant is None):
            raise ValueError("send your password, or a signing_grant if you sign in with SSO (one of them)")
        return self


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
    auth_method: str | None = Field(default=None, description="How the signer proved who they were: password | sso")
    step: int | None = None  # a step of the item's approval chain
    committee_id: uuid.UUID | None = None
    on_behalf_of_committee: str | None = None
    meeting_date: date | None = None
    revocation: RevocationRead | None = None


class SignerRead(BaseModel):
    id: uuid.UUID
    full_name: str


class SignersRead(BaseModel):
    label: str = Field(description="The role or committee in words: 'Pharmacy lead'")
    role: str | None = Field(description="The role that signs (None for a committee step)")
    committee: str | None = Field(description="The committee's slug, for a committee step")
    people: list[SignerRead] = Field(description="Who holds the role, or sits on the committee, now")
    step: int | None = Field(default=None, description="The chain step they sign (None: one signature)")
    steps: int | None = None


class SignOffEligibilityRead(BaseModel):
    allowed: bool = Field(description="Whether the caller may sign the item (or its next chain step) now")
    reasons: list[str] = Field(description="Why not, in words, each a thing to do first; empty when allowed")
    blockers: list[str] = Field(description=(
        "The item's own rules among the reasons, as the sign-off's 409 names them: status, chain, dependencies, "
        "evidence"))
    signers: SignersRead | None = Field(description="Who may sign; None when every step of the chain is signed")
