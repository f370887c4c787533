"""Second factors (TOTP), the half-finished logins waiting for one, an institution's MFA rule, and service
accounts with their short-lived access tokens."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, String
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.db import UTCDateTime


class UserMfa(SQLModel, table=True):
    """A person's TOTP secret. `enabled_at` is empty until a first valid code confirms the enrolment."""

    __tablename__ = "user_mfa"

    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    secret: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The last 30-second step whose code was accepted: a code of that step or an earlier one is a replay.
    last_used_step: int | None = Field(default=None, sa_type=BigInteger)


class MfaRecoveryCode(SQLModel, table=True):
    """One single-use recovery code, hashed like a password."""

    __tablename__ = "mfa_recovery_codes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MfaPendingLogin(SQLModel, table=True):
    """A login whose password was right and whose second factor is still to come (only the cookie's hash)."""

    __tablename__ = "mfa_pending_logins"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    next_path: str = Field(max_length=2000)
    failures: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class InstitutionSecurity(SQLModel, table=True):
    """An institution's security rules: which roles must use a second factor."""

    __tablename__ = "institution_security"

    institution_id: uuid.UUID = Field(foreign_key="institutions.id", primary_key=True, ondelete="CASCADE")
    require_mfa_for: list[str] = Field(default_factory=list, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ServiceAccount(SQLModel, table=True):
    """An integration's identity in one institution. It acts through its own user row (no password, never a
    page login), holding the role its access maps to; the client secret is stored as a hash."""

    __tablename__ = "service_accounts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    institution_id: uuid.UUID = Field(foreign_key="institutions.id", index=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", unique=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    access: str = Field(sa_type=String(16))
    client_id: str = Field(max_length=64, unique=True)
    secret_hash: str = Field(max_length=64)
    created_by_name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_token_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ServiceAccountToken(SQLModel, table=True):
    """A short-lived bearer token issued by the client-credentials grant (only its hash)."""

    __tablename__ = "service_account_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    service_account_id: uuid.UUID = Field(foreign_key="service_accounts.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
