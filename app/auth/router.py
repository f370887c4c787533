"""Log in and out, API tokens, and institution memberships."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Cookie, Request, Response, status

from app.auth import service
from app.auth.deps import SESSION_COOKIE, CurrentPrincipal, CurrentUser
from app.auth.directory import people_of
from app.auth.models import User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.auth.schemas import (
    LoginRequest,
    LoginResponse,
    MemberGrant,
    MemberRead,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserRead,
)
from app.db import SessionDep
from app.errors import NotFound
from app.programs.service import get_institution

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
    user = service.authenticate(session, body.email, body.password)
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


@router.post("/institutions/{institution_id}/members", response_model=MemberRead)
def grant_member_roles(
    institution_id: uuid.UUID, body: MemberGrant, user: CurrentUser, session: SessionDep
) -> MemberRead:
    """Give an existing user roles in the institution (administrators)."""
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    get_institution(session, institution_id)
    member = service.user_by_email(session, body.email)
    roles = service.grant_roles(session, user, institution_id, member, body.roles)
    return MemberRead(user_id=member.id, email=member.email, full_name=member.full_name, roles=sorted(roles))


@router.delete("/institutions/{institution_id}/members/{user_id}/roles/{role}", response_model=MemberRead)
def revoke_member_role(
    institution_id: uuid.UUID, user_id: uuid.UUID, role: Role, user: CurrentUser, session: SessionDep
) -> MemberRead:
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    member = session.get(User, user_id)
    if member is None:
        raise NotFound("member not found")
    roles = service.revoke_role(session, user, institution_id, member, role)
    return MemberRead(user_id=member.id, email=member.email, full_name=member.full_name, roles=sorted(roles))
