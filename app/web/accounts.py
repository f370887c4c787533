"""Log in and out of the web app."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service
from app.auth.deps import SESSION_COOKIE
from app.auth.router import set_session_cookie
from app.auth.throttle import client_address
from app.db import SessionDep
from app.errors import Forbidden, TooManyRequests, Unauthorized
from app.sso.service import refuse_local_login
from app.web.mfa import after_password
from app.web.session import SameSite, WebPrincipal, render

router = APIRouter(include_in_schema=False)


def _safe_next(next_path: str) -> str:
    """Only paths on this site: never an absolute or scheme-relative URL (an open redirect)."""
    return next_path if next_path.startswith("/") and not next_path.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, None, "login.html", {"next": _safe_next(next), "email": "", "error": None})


@router.post("/login", response_class=HTMLResponse, dependencies=[SameSite])
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        user = service.authenticate(session, email.replace("\x00", ""), password, client_address(request))
    except (Unauthorized, TooManyRequests) as error:
        context = {"next": _safe_next(next), "email": email, "error": error.detail}
        return render(request, None, "login.html", context, status_code=error.status_code)
    try:
        refuse_local_login(session, request.app.state.settings, user)  # the institution requires SSO
    except Forbidden as error:
        context = {"next": _safe_next(next), "email": email, "error": error.detail}
        return render(request, None, "login.html", context, status_code=error.status_code)
    if (second_step := after_password(request, session, user, _safe_next(next))) is not None:
        return second_step  # the code page, or enrolment where the institution requires a second factor
    # A fresh session id at every login: a cookie planted before login is never promoted (session fixation).
    started = service.start_session(session, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, started.token)
    return response


@router.post("/logout")
def logout(
    request: Request, principal: WebPrincipal, session: SessionDep, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    principal.check_csrf(csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(session, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
