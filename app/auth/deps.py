"""Who is calling: an API token (`Authorization: Bearer`) or a browser session cookie."""

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.auth.models import AuthSession, User
from app.auth.service import session_user, token_user
from app.auth.service_accounts import service_account_user
from app.auth.throttle import remember_client
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized

SESSION_COOKIE = "gtready_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    user: User
    auth_session: AuthSession | None  # None when authenticated by API token

    def check_csrf(self, sent: str | None) -> None:
        """Cookie-authenticated writes must echo the session's CSRF token (tokens are not sent by browsers)."""
        if self.auth_session is None:
            return
        if not sent or not hmac.compare_digest(sent, self.auth_session.csrf_token):
            raise Forbidden("missing or wrong CSRF token; reload the page and try again")


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    remember_client(session, request)  # a password re-checked later in this request is throttled by address
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        plain = header[7:].strip()
        user = token_user(session, plain) or service_account_user(session, plain)
        if user is None:
            raise Unauthorized("the API token is invalid or revoked")
        return Principal(user, None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = session_user(session, cookie)
        if found is not None:
            return Principal(*found)
    return None


def api_principal(request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthorized("authentication required: log in or send an API token")
    if request.method not in SAFE_METHODS:
        principal.check_csrf(request.headers.get("x-csrf-token"))
    return principal


def api_user(principal: Annotated[Principal, Depends(api_principal)]) -> User:
    return principal.user


CurrentPrincipal = Annotated[Principal, Depends(api_principal)]
CurrentUser = Annotated[User, Depends(api_user)]
