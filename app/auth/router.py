"""Log in and out, API tokens, and institution memberships."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response, status

from app.auth import invitations, mfa, service, service_accounts
from app.auth.deps import SESSION_COOKIE, CurrentPrincipal, CurrentUser
from app.auth.directory import people_of
from app.auth.models import Invitation
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.auth.schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationRead,
    LoginRequest,
    LoginResponse,
    MemberGrant,
    MemberRead,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserRead,
)
from app.auth.throttle import client_address
from app.db import SessionDep
from app.errors import Forbidden
from app.programs.service import get_institution
from app.sso.service import refuse_local_login

router = APIRouter(prefix="/api", tags=["accounts"])


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(service.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        secure=request.url.scheme == "https",
        samesite="lax",
        path="/",
    )


@router.post("/auth/login", response_model=LoginResponse, responses={401: {}, 429: {}})
def login(body: LoginRequest, request: Request, response: Response, session: SessionDep) -> LoginResponse:
    """Start a browser session (HttpOnly cookie). Scripts should use an API token instead."""
    user = service.authenticate(session, body.email, body.password, client_address(request))
    refuse_local_login(session, request.app.state.settings, user)  # where the institution requires SSO
    mfa.check_login_code(session, user, body.totp_code, client_address(request))  # two-factor accounts
    started = service.start_session(session, user)
    set_session_cookie(request, response, started.token)
    return LoginResponse(user=UserRead.model_validate(user), csrf_token=started.csrf_token)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    response: Response, session: SessionDep, gtready_session: Annotated[str | None, Cookie()] = None
) -> Response:
    if gtready_session:
        service.end_session(session, gtready_session)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = status.HTTP_204_NO_CONTENT
    return response


@router.get("/auth/me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.post("/auth/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
def create_token(body: TokenCreate, principal: CurrentPrincipal, session: SessionDep) -> TokenCreated:
    if service_accounts.is_service_account(session, principal.user):  # its tokens stay short-lived
        raise Forbidden("a service account gets its tokens from POST /api/oauth/token, not personal API tokens")
    record, plain = service.create_api_token(session, principal.user, body.name)
    return TokenCreated(**TokenRead.model_validate(record).model_dump(), token=plain)


@router.get("/auth/tokens", response_model=list[TokenRead])
def list_tokens(user: CurrentUser, session: SessionDep) -> list[TokenRead]:
    return [TokenRead.model_validate(t) for t in service.list_api_tokens(session, user)]


@router.delete("/auth/tokens/{token_id}", response_model=TokenRead)
def revoke_token(token_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> TokenRead:
    return TokenRead.model_validate(service.revoke_api_token(session, user, token_id))


@router.get("/institutions/{institution_id}/members", response_model=list[MemberRead])
def list_members(institution_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[MemberRead]:
    require_member(session, user, institution_id, what="institution")
    return [
        MemberRead(user_id=p.id, email=p.email, full_name=p.full_name, roles=[Role(r) for r in p.roles])
        for p in people_of(session, institution_id)
    ]


@router.post(
    "/institutions/{institution_id}/members", response_model=MemberRead | InvitationCreated,
    responses={202: {"model": InvitationCreated, "description": "Not a member: an invitation for them to accept"},
               409: {"description": "They already hold these roles, or have a pending invitation here"}},
)
def grant_member_roles(
    institution_id: uuid.UUID, body: MemberGrant, request: Request, response: Response, user: CurrentUser,
    session: SessionDep,
) -> MemberRead | InvitationCreated:
    """Give a member of the institution more roles (administrators). Anyone else joins only by accepting an
    invitation: the answer is then 202 with its link to send, alike whether or not the email has an account."""
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    get_institution(session, institution_id)
    member = service.member_with_email(session, institution_id, body.email)
    if member is None:
        full_name = body.full_name or body.email.split("@", 1)[0][:200]
        invitation, token = invitations.create_invitation(
            session, user, institution_id, body.email, full_name, body.roles,
            send_email=request.app.state.settings.mail_enabled,
        )
        response.status_code = status.HTTP_202_ACCEPTED
        return InvitationCreated(**invitation_read(invitation).model_dump(), link=invitation_link(request, token))
    roles = service.grant_roles(session, user, institution_id, member, body.roles)
    return MemberRead(user_id=member.id, email=member.email, full_name=member.full_name, roles=sorted(roles))


@router.delete("/institutions/{institution_id}/members/{user_id}/roles/{role}", response_model=MemberRead,
               responses={404: {"description": "Not a member of this institution (nothing is said about who)"},
                          409: {"description": "The institution's last administrator keeps that role"}})
def revoke_member_role(
    institution_id: uuid.UUID, user_id: uuid.UUID, role: Role, user: CurrentUser, session: SessionDep
) -> MemberRead:
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    member = service.institution_member(session, institution_id, user_id)
    roles = service.revoke_role(session, user, institution_id, member, role)
    return MemberRead(user_id=member.id, email=member.email, full_name=member.full_name, roles=sorted(roles))


def invitation_read(invitation: Invitation) -> InvitationRead:
    return InvitationRead(
        id=invitation.id, institution_id=invitation.institution_id, email=invitation.email,
        full_name=invitation.full_name, roles=[Role(r) for r in invitation.roles],
        invited_by_name=invitation.invited_by_name, created_at=invitation.created_at,
        expires_at=invitation.expires_at, accepted_at=invitation.accepted_at, revoked_at=invitation.revoked_at,
        state=invitations.invitation_state(invitation).value,
    )


def invitation_link(request: Request, token: str) -> str:
    return str(request.base_url).rstrip("/") + invitations.invitation_path(token)


@router.post(
    "/institutions/{institution_id}/invitations", status_code=status.HTTP_201_CREATED,
    response_model=InvitationCreated, responses={403: {}, 404: {}, 409: {}},
)
def create_invitation(
    institution_id: uuid.UUID, body: InvitationCreate, request: Request, user: CurrentUser, session: SessionDep
) -> InvitationCreated:
    """Invite a person by email with roles (administrators). The link is returned this once; it is also emailed
    to them when the deployment sends email."""
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    get_institution(session, institution_id)
    invitation, token = invitations.create_invitation(
        session, user, institution_id, body.email, body.full_name, body.roles,
        send_email=request.app.state.settings.mail_enabled,
    )
    return InvitationCreated(**invitation_read(invitation).model_dump(), link=invitation_link(request, token))


@router.get("/institutions/{institution_id}/invitations", response_model=list[InvitationRead],
            responses={403: {"description": "Only administrators see invitations"}})
def list_invitations(institution_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[InvitationRead]:
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    return [invitation_read(i) for i in invitations.invitations_of(session, institution_id)]


@router.delete("/invitations/{invitation_id}", response_model=InvitationRead, responses={409: {}})
def revoke_invitation(invitation_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> InvitationRead:
    """Withdraw a pending invitation (administrators); its link stops working."""
    invitation = invitations.get_invitation(session, invitation_id)
    require_member(session, user, invitation.institution_id, [Role.ADMINISTRATOR], what="invitation")
    return invitation_read(invitations.revoke_invitation(session, user, invitation))


@router.post("/invitations/accept", response_model=LoginResponse,
             responses={401: {}, 404: {}, 409: {}, 410: {}, 429: {}})
def accept_invitation(
    body: InvitationAccept, request: Request, response: Response, session: SessionDep
) -> LoginResponse:
    """Join with an invitation's token: sets the password of a new account (or, if the email already has an
    account, takes that account's password) and starts a session, like logging in."""
    user = invitations.accept_invitation(
        session, body.token, body.password, body.full_name, client=client_address(request)
    )
    started = service.start_session(session, user)
    set_session_cookie(request, response, started.token)
    return LoginResponse(user=UserRead.model_validate(user), csrf_token=started.csrf_token)
