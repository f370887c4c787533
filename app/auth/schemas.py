"""Request and response bodies of the accounts API."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.auth.roles import Role
from app.text import NOT_BLANK, Name, NoNul, Text

# Constraints stacked on Text after its validator lose their pattern in the JSON schema; so a plain string whose
# pattern also refuses NUL, and the document shows the rule the API applies.
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")
]


class LoginRequest(BaseModel):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254), NoNul, NOT_BLANK]
    password: Annotated[Text, Field(min_length=1, max_length=1000)]
    totp_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), NoNul] | None = Field(
        default=None, description="The authenticator app's code (or a recovery code), if the account uses one")


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    is_superuser: bool


class LoginResponse(BaseModel):
    user: UserRead
    csrf_token: str = Field(description="Send as X-CSRF-Token on writes made with the session cookie")


class TokenCreate(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul, NOT_BLANK]


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str = Field(description="Shown this once; store it now")


class MemberRead(BaseModel):
    user_id: uuid.UUID
    email: str
    full_name: str
    roles: list[Role]


class MemberGrant(BaseModel):
    email: Email
    roles: Annotated[list[Role], Field(min_length=1)]
    full_name: Name | None = Field(default=None, description="For the invitation when the email is not a member "
                                   "yet; defaults to the part of the email before @ (the person may change it)")


class InvitationCreate(BaseModel):
    email: Email
    full_name: Name
    roles: Annotated[list[Role], Field(min_length=1)]


class InvitationRead(BaseModel):
    id: uuid.UUID
    institution_id: uuid.UUID
    email: str
    full_name: str
    roles: list[Role]
    invited_by_name: str
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    state: str = Field(description="pending, accepted, revoked or expired")


class InvitationCreated(InvitationRead):
    link: str = Field(description="The single-use link to send the person; shown this once")


class InvitationAccept(BaseModel):
    token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul, NOT_BLANK]
    password: Annotated[Text, Field(min_length=1, max_length=1000, description="A new password (at least 12 "
                                    "characters), or the existing account's password if the email has one")]
    full_name: Name | None = Field(default=None, description="Defaults to the name in the invitation")
