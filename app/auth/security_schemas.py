"""Bodies of the service-account, token-endpoint and institution-security API."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.auth.roles import Role
from app.auth.service_accounts import Access
from app.text import NOT_BLANK, NoNul


class ServiceAccountCreate(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul, NOT_BLANK]
    access: Access = Field(description="read (a viewer) or read-write (a champion's changes; never signing)")


class ServiceAccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    institution_id: uuid.UUID
    name: str
    access: Access
    client_id: str
    created_by_name: str
    created_at: datetime
    last_token_at: datetime | None
    revoked_at: datetime | None


class ServiceAccountCreated(ServiceAccountRead):
    client_secret: str = Field(description="Shown this once; store it now")


class AccessTokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the RFC 6750 scheme name
    expires_in: int = Field(description="Seconds the token stays valid")


class OAuthErrorBody(BaseModel):
    error: str = Field(description="RFC 6749 section 5.2: invalid_request, invalid_client, unsupported_grant_type")
    error_description: str


class InstitutionSecurityRead(BaseModel):
    require_mfa_for: list[Role] = Field(description="Roles whose holders must use two-factor authentication")


class InstitutionSecurityUpdate(BaseModel):
    require_mfa_for: Annotated[list[Role], Field(max_length=len(Role))]
