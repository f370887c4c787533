"""Accounts, logins, sessions, API tokens and memberships."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import ApiToken, AuthSession, Membership, User
from app.auth.roles import Role
from app.auth.secrets import hash_password, new_token, token_hash, verify_password
from app.auth.throttle import (
    LOCAL_CLIENT,
    PER_EMAIL_AND_CLIENT,
    Attempt,
    failed,
    remembered_client,
    reserve_attempt,
    succeeded,
)
from app.clock import utcnow
from app.errors import Conflict, Invalid, NotFound, Unauthorized

SESSION_LIFETIME = timedelta(hours=12)
LOCKOUT_FAILURES = PER_EMAIL_AND_CLIENT.free  # wrong passwords for one email from one address before a wait
BAD_LOGIN = "email or password is incorrect"
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1000


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session, email: str, full_name: str, password: str | None = None, *, is_superuser: bool = False
) -> User:
    user = add_user(session, email, full_name, password, is_superuser=is_superuser)
    session.commit()
    return user


def add_user(
    session: Session, email: str, full_name: str, password: str | None = None, *, is_superuser: bool = False
) -> User:
    """A new account in the caller's transaction (the caller commits)."""
    email = normalise_email(email)
    if user_with_email(session, email):
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        email=email,
        full_name=full_name,
        password_hash=hash_password(password) if password else None,
        is_superuser=is_superuser,
    )
    session.add(user)
    session.flush()
    return user


def user_with_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(col(User.email) == normalise_email(email))).first()


def create_admin(session: Session, email: str, full_name: str, password: str) -> User:
    """The site-wide superuser, for set-up only (creating institutions and their first administrators)."""
    check_new_password(password)
    return create_user(session, email, full_name, password, is_superuser=True)


def check_new_password(password: str) -> None:
    """The rule for a password a person chooses: long enough to resist guessing (a passphrase is welcome)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise Invalid(f"the password must be at least {PASSWORD_MIN_LENGTH} characters", field="password")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise Invalid(f"the password must be at most {PASSWORD_MAX_LENGTH} characters", field="password")
    if not password.strip():
        raise Invalid("the password cannot be only spaces", field="password")


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    session.add(user)
    session.commit()


def _rejected(session: Session, user: User | None, attempt: Attempt, via: str) -> None:
    """Audit a wrong password (never the password itself), in its own commit: the request then fails."""
    failed(session, attempt)
    record_event(
        session, user, "user.password_rejected", entity="user", entity_key=attempt.email[:100],
        after={"via": via, "client": attempt.client},
    )
    session.commit()


def authenticate(
    session: Session, email: str, password: str, client: str = LOCAL_CLIENT, *, via: str = "login"
) -> User:
    """The user with this email and password. Unknown email and wrong password answer alike, in like time;
    repeated failures are throttled (app/auth/throttle.py) whether or not such an account exists."""
    email = normalise_email(email)
    attempt = reserve_attempt(session, email, client)
    user = session.scalars(select(User).where(col(User.email) == email)).first()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        _rejected(session, None, attempt, via)  # whoever guessed is unknown: not the account's owner
        raise Unauthorized(BAD_LOGIN)
    succeeded(session, attempt)
    session.commit()
    return user


def check_password(session: Session, user: User, password: str, client: str | None = None) -> None:
    """Re-authentication at the moment of an electronic signature: throttled and audited like a login (a
    stolen session must not become a way to guess the password). The client address defaults to the one the
    request's principal dependency remembered."""
    client = client or remembered_client(session)
    attempt = reserve_attempt(session, user.email, client)
    if not verify_password(user.password_hash, password):
        _rejected(session, user, attempt, "signature")
        raise Unauthorized("the password is incorrect")
    succeeded(session, attempt)
    session.commit()


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    record: AuthSession


def start_session(session: Session, user: User) -> NewSession:
    token, csrf = new_token(), new_token()
    record = AuthSession(
        token_hash=token_hash(token), user_id=user.id, csrf_token=csrf, expires_at=utcnow() + SESSION_LIFETIME
    )
    session.add(record)
    session.commit()
    return NewSession(token, csrf, record)


def session_user(session: Session, token: str) -> tuple[User, AuthSession] | None:
    row = session.execute(
        select(User, AuthSession)
        .join(AuthSession, col(AuthSession.user_id) == User.id)
        .where(
            col(AuthSession.token_hash) == token_hash(token),
            col(AuthSession.revoked_at).is_(None),
            col(AuthSession.expires_at) > utcnow(),
            col(User.is_active),
        )
    ).first()
    return (row[0], row[1]) if row else None


def end_session(session: Session, token: str) -> None:
    session.execute(
        update(AuthSession).where(col(AuthSession.token_hash) == token_hash(token)).values(revoked_at=utcnow())
    )
    session.commit()


def create_api_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token; the plain value is returned once and never stored."""
    plain = "gtr_" + new_token()
    record = ApiToken(user_id=user.id, name=name, token_hash=token_hash(plain), prefix=plain[:10])
    session.add(record)
    session.commit()
    return record, plain


def list_api_tokens(session: Session, user: User) -> Sequence[ApiToken]:
    query = select(ApiToken).where(col(ApiToken.user_id) == user.id).order_by(col(ApiToken.created_at))
    return session.scalars(query).all()


def revoke_api_token(session: Session, user: User, token_id: uuid.UUID) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None or record.user_id != user.id:
        raise NotFound("token not found")
    record.revoked_at = record.revoked_at or utcnow()
    session.add(record)
    session.commit()
    return record


def token_user(session: Session, plain: str) -> User | None:
    row = session.execute(
        select(User, ApiToken)
        .join(ApiToken, col(ApiToken.user_id) == User.id)
        .where(col(ApiToken.token_hash) == token_hash(plain), col(ApiToken.revoked_at).is_(None), col(User.is_active))
    ).first()
    return row[0] if row else None


def roles_in(session: Session, user: User, institution_id: uuid.UUID) -> set[Role]:
    query = select(col(Membership.role)).where(
        col(Membership.user_id) == user.id, col(Membership.institution_id) == institution_id
    )
    return {Role(role) for role in session.scalars(query)}


def institution_ids_of(session: Session, user: User) -> list[uuid.UUID] | None:
    """The institutions a user belongs to; `None` for a superuser, who sees every institution."""
    if user.is_superuser:
        return None
    query = select(col(Membership.institution_id)).where(col(Membership.user_id) == user.id).distinct()
    return list(session.scalars(query))


def grant_roles(
    session: Session, actor: User | None, institution_id: uuid.UUID, user: User, roles: Iterable[Role]
) -> set[Role]:
    """Give `user` these roles in the institution (those already held are kept); audited."""
    held = add_roles(session, actor, institution_id, user, roles)
    session.commit()
    return held


def add_roles(
    session: Session, actor: User | None, institution_id: uuid.UUID, user: User, roles: Iterable[Role]
) -> set[Role]:
    """`grant_roles` in the caller's transaction (the caller commits)."""
    held = roles_in(session, user, institution_id)
    added = [role for role in dict.fromkeys(roles) if role not in held]
    session.add_all(Membership(user_id=user.id, institution_id=institution_id, role=role) for role in added)
    if added:
        session.flush()
        record_event(
            session, actor, "membership.roles_granted", entity="membership", entity_key=user.email,
            institution_id=institution_id, before={"roles": sorted(held)}, after={"roles": sorted(held | set(added))},
        )
    return held | set(added)


def _administrator_count(session: Session, institution_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        col(Membership.institution_id) == institution_id, col(Membership.role) == Role.ADMINISTRATOR.value
    )
    return session.scalar(query) or 0


def institution_member(session: Session, institution_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """A person holding some role in the institution. Anyone else is "not found", exactly like an id that does
    not exist: an administrator learns nothing about people outside their institution."""
    member = session.scalars(
        select(User).join(Membership, col(Membership.user_id) == User.id)
        .where(col(User.id) == user_id, col(Membership.institution_id) == institution_id)
    ).first()
    if member is None:
        raise NotFound("member not found")
    return member


def member_with_email(session: Session, institution_id: uuid.UUID, email: str) -> User | None:
    """The member of the institution with this email; `None` for everyone else, account or not."""
    return session.scalars(
        select(User).join(Membership, col(Membership.user_id) == User.id)
        .where(col(User.email) == normalise_email(email), col(Membership.institution_id) == institution_id)
    ).first()


def revoke_role(session: Session, actor: User, institution_id: uuid.UUID, user: User, role: Role) -> set[Role]:
    held = roles_in(session, user, institution_id)
    if role not in held:
        raise NotFound(f"this member does not hold the {role.value} role here")
    if role == Role.ADMINISTRATOR and _administrator_count(session, institution_id) <= 1:
        raise Conflict("this is the institution's last administrator; give the role to someone else first")
    session.execute(
        delete(Membership).where(
            col(Membership.user_id) == user.id,
            col(Membership.institution_id) == institution_id,
            col(Membership.role) == role.value,
        )
    )
    record_event(
        session, actor, "membership.role_revoked", entity="membership", entity_key=user.email,
        institution_id=institution_id, before={"roles": sorted(held)}, after={"roles": sorted(held - {role})},
    )
    session.commit()
    return held - {role}


def user_by_email(session: Session, email: str) -> User:
    user = user_with_email(session, email)
    if user is None:
        raise Invalid(f"no user with email {email}", field="email")
    return user


def reset_password(session: Session, email: str, password: str) -> User:
    """Set a person's password from the command line (people restored by an import arrive without one)."""
    user = user_by_email(session, email)
    check_new_password(password)
    record_event(session, None, "user.password_set", entity="user", entity_key=user.email, after={"by": "command line"})
    set_password(session, user, password)
    return user
