"""Signing grants: a person who signs in with SSO proves who they are at the moment of a signature by
signing in again at the provider; the grant records that and is usable once, within five minutes."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.auth.models import User
from app.auth.secrets import new_token, token_hash
from app.clock import utcnow
from app.errors import Unauthorized
from app.sso.models import SsoIdentity, SsoSigningGrant

GRANT_LIFETIME = timedelta(minutes=5)


def signs_with_sso(session: Session, user: User) -> bool:
    """Whether the person signs in (and so signs) through the provider rather than with a password."""
    return session.get(SsoIdentity, user.id) is not None


def new_grant(session: Session, user: User) -> tuple[SsoSigningGrant, str]:
    """A grant waiting for the provider's answer (the caller commits); the plain value is returned once."""
    plain = "gsg_" + new_token()
    grant = SsoSigningGrant(user_id=user.id, token_hash=token_hash(plain))
    session.add(grant)
    session.flush()
    return grant, plain


def use_signing_grant(session: Session, user: User, plain: str) -> None:
    """Spend a grant on a signature, in the caller's transaction: it must be this person's, confirmed by the
    provider less than five minutes ago, and not used before (two simultaneous uses: one wins)."""
    now = utcnow()
    grant = session.exec(select(SsoSigningGrant).where(col(SsoSigningGrant.token_hash) == token_hash(plain))).first()
    if grant is None or grant.user_id != user.id:
        raise Unauthorized("the signing grant is unknown; create one with POST /api/sso/signing-grants")
    if grant.authenticated_at is None:
        raise Unauthorized("the signing grant is not confirmed yet: open its URL and sign in at the provider")
    if grant.used_at is not None:
        raise Unauthorized("the signing grant was already used; each signature needs a fresh one")
    if now - grant.authenticated_at > GRANT_LIFETIME:
        raise Unauthorized("the signing grant expired (5 minutes after you signed in); create a new one")
    spent = session.execute(
        update(SsoSigningGrant).where(col(SsoSigningGrant.id) == grant.id, col(SsoSigningGrant.used_at).is_(None))
        .values(used_at=now)
    ).rowcount  # type: ignore[attr-defined]
    if spent != 1:
        raise Unauthorized("the signing grant was already used; each signature needs a fresh one")
