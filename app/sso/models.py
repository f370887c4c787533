"""Single sign-on: which institutions a provider's people belong to, which groups give which roles, the
logins and signatures waiting on the provider, and who signs in through it."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db import UTCDateTime


class SsoInstitutionRule(SQLModel, table=True):
    """A person belongs to the institution when their email has this domain, or a claim has this value."""

    __tablename__ = "sso_institution_rules"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True, ondelete="CASCADE")
    email_domain: str | None = Field(default=None, max_length=253, index=True)
    claim: str | None = Field(default=None, max_length=100)
    value: str | None = Field(default=None, max_length=200)
    require_sso: bool = False


class SsoGroupRole(SQLModel, table=True):
    """Members of this directory group hold this role in the institution."""

    __tablename__ = "sso_group_roles"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True, ondelete="CASCADE")
    group: str = Field(max_length=200)
    role: str = Field(sa_type=String(32))


class SsoIdentity(SQLModel, table=True):
    """The provider's subject a person signs in as (one per person)."""

    __tablename__ = "sso_identities"

    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    issuer: str = Field(max_length=500)
    subject: str = Field(max_length=255, index=True)
    last_login_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SsoPending(SQLModel, table=True):
    """A round trip to the provider not yet come back: in the database so any replica can finish it;
    single-use (deleted when the provider answers) and worthless after ten minutes."""

    __tablename__ = "sso_pending"

    state_hash: str = Field(primary_key=True, max_length=64)
    nonce: str = Field(max_length=100)
    code_verifier: str = Field(max_length=128)
    purpose: str = Field(sa_type=String(16))  # login | signature
    next_path: str = Field(default="/", max_length=2000)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    grant_id: uuid.UUID | None = Field(default=None, foreign_key="sso_signing_grants.id", ondelete="CASCADE")
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # a web signature's form
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SsoSigningGrant(SQLModel, table=True):
    """Proof that a person re-authenticated at the provider a moment ago: usable once, within five minutes."""

    __tablename__ = "sso_signing_grants"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    authenticated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
