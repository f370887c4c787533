"""Invitations: an administrator invites a person by email with roles; the person opens a single-use link,
sets a password and joins. The administrator copies the link and sends it; where mail is configured it is also
emailed (app/notifications), and the copy kept for that is erased once sent.

The link's token is random and only its SHA-256 is stored, like API tokens. If the email already has an
account, accepting requires that account's password (so a link alone never takes over an account) and adds
the roles to it; the password is not changed.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import Invitation, User
from app.auth.roles import Role
from app.auth.secrets import new_token, token_hash
from app.auth.service import (
    add_roles,
    add_user,
    authenticate,
    check_new_password,
    normalise_email,
    roles_in,
    user_with_email,
)
from app.clock import utcnow
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.notifications.models import NotificationKind
from app.notifications.service import notify_address

INVITATION_LIFETIME = timedelta(days=7)


class InvitationGone(DomainError):
    """The link was real but can no longer be used: accepted, revoked or expired."""

    status_code = 410


class InvitationState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


def invitation_state(invitation: Invitation, now: datetime | None = None) -> InvitationState:
    if invitation.accepted_at is not None:
        return InvitationState.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationState.REVOKED
    if invitation.expires_at <= (now or utcnow()):
        return InvitationState.EXPIRED
    return InvitationState.PENDING


def invitation_path(token: str) -> str:
    """Where the invited person goes (the web page); the caller adds the site's address."""
    return f"/invitations/{token}"


def _audit_key(email: str) -> str:
    return email[:100]  # audit keys are short; emails may be up to 254 characters


def _pending_for(session: Session, institution_id: uuid.UUID, email: str) -> Invitation | None:
    now = utcnow()
    return session.scalars(
        select(Invitation).where(
            col(Invitation.institution_id) == institution_id,
            col(Invitation.email) == email,
            col(Invitation.accepted_at).is_(None),
            col(Invitation.revoked_at).is_(None),
            col(Invitation.expires_at) > now,
        )
    ).first()


def create_invitation(
    session: Session, actor: User, institution_id: uuid.UUID, email: str, full_name: str, roles: Iterable[Role],
    *, send_email: bool = False,
) -> tuple[Invitation, str]:
    """A pending invitation and its token (returned once, never stored); audited. With `send_email` (mail is
    configured) the link is also emailed to the person; the administrator can still copy it."""
    email = normalise_email(email)
    wanted = sorted(set(roles))
    if not wanted:
        raise Invalid("choose at least one role", field="roles")
    if not full_name.strip():
        raise Invalid("enter the person's full name", field="full_name")
    existing = user_with_email(session, email)
    if existing is not None and set(wanted) <= roles_in(session, existing, institution_id):
        raise Conflict(f"{email} already holds these roles here")
    if _pending_for(session, institution_id, email) is not None:
        raise Conflict(f"{email} already has a pending invitation here; revoke it to send a new one")
    token = new_token()
    invitation = Invitation(
        institution_id=institution_id, email=email, full_name=full_name.strip(), roles=[r.value for r in wanted],
        token_hash=token_hash(token), invited_by_id=actor.id, invited_by_name=actor.full_name,
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    session.add(invitation)
    session.flush()
    record_event(
        session, actor, "invitation.created", entity="invitation", entity_key=_audit_key(email),
        institution_id=institution_id,
        after={"invitation_id": invitation.id, "email": email, "full_name": invitation.full_name,
               "roles": invitation.roles, "expires_at": invitation.expires_at},
    )
    if send_email:
        notify_address(
            session, email, NotificationKind.INVITATION, subject=f"invitation:{invitation.id}",
            title=f"{actor.full_name} invites you to join gtready", link=invitation_path(token),
            context={"lines": [f"Roles: {', '.join(Role(r).label for r in invitation.roles)}",
                               f"The link works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC."]},
        )
    session.commit()
    return invitation, token


def invitations_of(session: Session, institution_id: uuid.UUID) -> Sequence[Invitation]:
    """An institution's invitations, newest first."""
    query = (
        select(Invitation)
        .where(col(Invitation.institution_id) == institution_id)
        .order_by(col(Invitation.created_at).desc())
    )
    return session.scalars(query).all()


def get_invitation(session: Session, invitation_id: uuid.UUID) -> Invitation:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound("invitation not found")
    return invitation


def revoke_invitation(session: Session, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation so its link stops working; audited."""
    state = invitation_state(invitation)
    if state != InvitationState.PENDING:
        raise Conflict(f"only a pending invitation can be revoked; this one is {state.value}")
    now = utcnow()
    result = session.execute(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id, col(Invitation.accepted_at).is_(None),
               col(Invitation.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict("the invitation was accepted or revoked a moment ago")
    record_event(
        session, actor, "invitation.revoked", entity="invitation", entity_key=_audit_key(invitation.email),
        institution_id=invitation.institution_id, before={"state": state.value, "roles": invitation.roles},
        after={"invitation_id": invitation.id, "state": InvitationState.REVOKED.value},
    )
    session.commit()
    session.refresh(invitation)
    return invitation


def invitation_for_token(session: Session, token: str) -> Invitation:
    """The invitation a link names, whatever its state; an unknown token answers 404."""
    invitation = session.scalars(select(Invitation).where(col(Invitation.token_hash) == token_hash(token))).first()
    if invitation is None:
        raise NotFound("this invitation link is not valid; check that it was copied whole, or ask for a new one")
    return invitation


def check_usable(invitation: Invitation) -> None:
    """410 with a plain reason when the link can no longer be used."""
    state = invitation_state(invitation)
    if state == InvitationState.ACCEPTED:
        raise InvitationGone("this invitation was already used; log in with the account it created", state=state)
    if state == InvitationState.REVOKED:
        raise InvitationGone("this invitation was withdrawn by an administrator; ask them for a new one", state=state)
    if state == InvitationState.EXPIRED:
        expired = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        raise InvitationGone(f"this invitation expired on {expired}; ask an administrator for a new one", state=state)


def accept_invitation(
    session: Session, token: str, password: str, full_name: str | None = None, *, client: str
) -> User:
    """Join with the invitation's roles: a new account with this password, or, when the email already has an
    account, that account once its password is given. The invitation is used up; audited."""
    invitation = invitation_for_token(session, token)
    check_usable(invitation)
    existing = user_with_email(session, invitation.email)
    if existing is not None:
        authenticate(session, invitation.email, password, client, via="invitation")  # throttled like a login
    else:
        check_new_password(password)
    now = utcnow()
    claimed = session.execute(  # single use, even when two people open the link at once
        update(Invitation)
        .where(col(Invitation.id) == invitation.id, col(Invitation.accepted_at).is_(None),
               col(Invitation.revoked_at).is_(None), col(Invitation.expires_at) > now)
        .values(accepted_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(invitation)
        check_usable(invitation)
        raise InvitationGone("this invitation can no longer be used")
    user = existing or add_user(session, invitation.email, (full_name or "").strip() or invitation.full_name, password)
    session.execute(update(Invitation).where(col(Invitation.id) == invitation.id).values(accepted_by_id=user.id))
    roles = add_roles(session, user, invitation.institution_id, user, [Role(r) for r in invitation.roles])
    record_event(
        session, user, "invitation.accepted", entity="invitation", entity_key=_audit_key(invitation.email),
        institution_id=invitation.institution_id,
        after={"invitation_id": invitation.id, "user_id": user.id, "new_account": existing is None,
               "roles": sorted(roles)},
    )
    session.commit()
    return user
