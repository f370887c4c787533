"""Service accounts: integrations in one institution, authenticated by the OAuth 2.0 client-credentials grant
(RFC 6749 section 4.4) with short-lived bearer tokens.

Each service account acts through a user row of its own (no password, so it can never log in to the pages)
holding the role its access maps to: `read` is a viewer, `read-write` a champion (who may change programs and
items). It can never sign (app/auth/mfa.py `check_may_sign`). Revoking it deactivates that user and deletes its
tokens, so a token already issued stops working at once.
"""

import hmac
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import Membership, User
from app.auth.roles import Role
from app.auth.secrets import new_token, token_hash
from app.auth.security_models import ServiceAccount, ServiceAccountToken
from app.clock import utcnow
from app.errors import Conflict, NotFound

TOKEN_LIFETIME = timedelta(minutes=15)
TOKEN_PREFIX = "gtsa_"  # noqa: S105 - a prefix, not a secret
EMAIL_DOMAIN = "service-accounts.invalid"  # .invalid never resolves: no mail can reach it


class Access(StrEnum):
    READ = "read"
    READ_WRITE = "read-write"


ACCESS_ROLES: dict[Access, Role] = {Access.READ: Role.VIEWER, Access.READ_WRITE: Role.CHAMPION}


class OAuthError(Exception):
    """An error of the token endpoint, answered in RFC 6749 section 5.2's shape rather than {"detail": ...}."""

    def __init__(self, error: str, description: str, status_code: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status_code = error, description, status_code


def create_service_account(
    session: Session, actor: User | None, institution_id: uuid.UUID, name: str, access: Access
) -> tuple[ServiceAccount, str]:
    """A new service account; its client secret is returned this once and stored only as a hash."""
    client_id = "sa_" + secrets.token_hex(12)
    secret = new_token()
    user = User(email=f"{client_id}@{EMAIL_DOMAIN}", full_name=f"{name} (service account)"[:200])
    session.add(user)
    session.flush()
    session.add(Membership(user_id=user.id, institution_id=institution_id, role=ACCESS_ROLES[access].value))
    account = ServiceAccount(
        institution_id=institution_id, user_id=user.id, name=name, access=access.value, client_id=client_id,
        secret_hash=token_hash(secret), created_by_name=actor.full_name if actor else "command line",
    )
    session.add(account)
    session.flush()
    record_event(session, actor, "service_account.created", entity="service_account", entity_key=client_id,
                 institution_id=institution_id, after={"name": name, "access": access.value,
                                                       "role": ACCESS_ROLES[access].value})
    session.commit()
    return account, secret


def service_accounts_of(session: Session, institution_id: uuid.UUID) -> Sequence[ServiceAccount]:
    query = select(ServiceAccount).where(col(ServiceAccount.institution_id) == institution_id)
    return session.scalars(query.order_by(col(ServiceAccount.created_at), col(ServiceAccount.name))).all()


def get_service_account(session: Session, institution_id: uuid.UUID, account_id: uuid.UUID) -> ServiceAccount:
    account = session.get(ServiceAccount, account_id)
    if account is None or account.institution_id != institution_id:
        raise NotFound("service account not found")
    return account


def service_account_by_client_id(session: Session, client_id: str) -> ServiceAccount:
    account = session.scalars(select(ServiceAccount).where(col(ServiceAccount.client_id) == client_id)).first()
    if account is None:
        raise NotFound(f"no service account with client id {client_id}")
    return account


def revoke_service_account(session: Session, actor: User | None, account: ServiceAccount) -> ServiceAccount:
    """Revoke it: its user is deactivated and every token it holds deleted, effective immediately."""
    if account.revoked_at is not None:
        raise Conflict("this service account is already revoked")
    account.revoked_at = utcnow()
    session.add(account)
    session.execute(update(User).where(col(User.id) == account.user_id).values(is_active=False))
    session.execute(delete(ServiceAccountToken).where(col(ServiceAccountToken.service_account_id) == account.id))
    record_event(session, actor, "service_account.revoked", entity="service_account", entity_key=account.client_id,
                 institution_id=account.institution_id, after={"name": account.name})
    session.commit()
    return account


def issue_token(session: Session, client_id: str, client_secret: str) -> tuple[str, int]:
    """The client-credentials grant: a bearer token and its lifetime in seconds. Audited."""
    account = session.scalars(
        select(ServiceAccount).where(col(ServiceAccount.client_id) == client_id[:64])
    ).first()
    # Compare against something even for an unknown client id, so both answers take alike time.
    expected = account.secret_hash if account else token_hash(new_token())
    if not hmac.compare_digest(expected, token_hash(client_secret)) or account is None:
        raise OAuthError("invalid_client", "client authentication failed: unknown client or wrong secret", 401)
    if account.revoked_at is not None:
        raise OAuthError("invalid_client", "this service account has been revoked", 401)
    now = utcnow()
    plain = TOKEN_PREFIX + new_token()
    session.execute(delete(ServiceAccountToken).where(col(ServiceAccountToken.expires_at) < now))
    session.add(ServiceAccountToken(service_account_id=account.id, token_hash=token_hash(plain), issued_at=now,
                                    expires_at=now + TOKEN_LIFETIME))
    account.last_token_at = now
    session.add(account)
    record_event(session, None, "service_account.token_issued", entity="service_account",
                 entity_key=account.client_id, institution_id=account.institution_id,
                 after={"name": account.name, "expires_in": int(TOKEN_LIFETIME.total_seconds())})
    session.commit()
    return plain, int(TOKEN_LIFETIME.total_seconds())


def service_account_user(session: Session, plain: str) -> User | None:
    """The user behind a live service-account token (not expired, account not revoked)."""
    row = session.execute(
        select(User)
        .join(ServiceAccount, col(ServiceAccount.user_id) == col(User.id))
        .join(ServiceAccountToken, col(ServiceAccountToken.service_account_id) == col(ServiceAccount.id))
        .where(col(ServiceAccountToken.token_hash) == token_hash(plain),
               col(ServiceAccountToken.expires_at) > utcnow(),
               col(ServiceAccount.revoked_at).is_(None), col(User.is_active))
    ).first()
    return row[0] if row else None


def is_service_account(session: Session, user: User) -> bool:
    if not user.email.endswith("@" + EMAIL_DOMAIN):  # people's emails are checked on the way in: no query
        return False
    found = session.scalar(select(col(ServiceAccount.id)).where(col(ServiceAccount.user_id) == user.id))
    return found is not None
