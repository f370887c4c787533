"""The page an invited person opens: choose a password (or confirm an existing account's) and join.

No login is needed to open it, and no CSRF token: the random token in the link is the secret a forged
request could not know."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.auth import invitations
from app.auth.models import Invitation
from app.auth.router import set_session_cookie
from app.auth.service import PASSWORD_MIN_LENGTH, start_session, user_with_email
from app.auth.throttle import client_address
from app.db import SessionDep
from app.errors import DomainError, Invalid, NotFound, TooManyRequests, Unauthorized
from app.programs.service import get_institution
from app.web.session import SameSite, render

router = APIRouter(include_in_schema=False)

LANDING = "/queue"  # a new member's first question: what waits for me?


def _usable(session: Session, token: str) -> Invitation:
    invitation = invitations.invitation_for_token(session, token)
    invitations.check_usable(invitation)
    return invitation


def _invalid_page(request: Request, error: DomainError) -> HTMLResponse:
    return render(request, None, "invitation_invalid.html", {"reason": error.detail}, status_code=error.status_code)


def _page(
    request: Request, session: Session, token: str, invitation: Invitation, *, full_name: str | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> HTMLResponse:
    context = {
        "token": token, "invitation": invitation, "institution": get_institution(session, invitation.institution_id),
        "existing_account": user_with_email(session, invitation.email) is not None,
        "full_name": invitation.full_name if full_name is None else full_name, "errors": errors or {},
        "min_length": PASSWORD_MIN_LENGTH,
    }
    return render(request, None, "invitation.html", context, status_code=status_code)


@router.get("/invitations/{token}", response_class=HTMLResponse)
def invitation_page(request: Request, token: str, session: SessionDep) -> HTMLResponse:
    try:
        invitation = _usable(session, token)
    except (NotFound, invitations.InvitationGone) as error:
        return _invalid_page(request, error)
    return _page(request, session, token, invitation)


@router.post("/invitations/{token}", response_class=HTMLResponse, dependencies=[SameSite])
def accept(
    request: Request,
    token: str,
    session: SessionDep,
    password: Annotated[str, Form(max_length=1000)] = "",
    password_confirm: Annotated[str, Form(max_length=1000)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        invitation = _usable(session, token)
    except (NotFound, invitations.InvitationGone) as error:
        return _invalid_page(request, error)
    full_name = full_name.replace("\x00", "").strip()
    existing = user_with_email(session, invitation.email) is not None
    errors: dict[str, str] = {}
    status_code = 422
    if not existing and not full_name:
        errors["full_name"] = "enter your full name, as colleagues know you"
    if not existing and password != password_confirm:
        errors["password_confirm"] = "the two passwords differ; type the same password twice"  # noqa: S105
    if not errors:
        try:
            user = invitations.accept_invitation(
                session, token, password.replace("\x00", ""), full_name, client=client_address(request)
            )
        except Invalid as error:
            errors[error.field] = error.detail
        except (Unauthorized, TooManyRequests) as error:
            wrong = isinstance(error, Unauthorized)
            errors["password"] = "that is not the password of this account" if wrong else error.detail
            status_code = error.status_code
        except (NotFound, invitations.InvitationGone) as error:
            return _invalid_page(request, error)
        else:
            started = start_session(session, user)
            response = RedirectResponse(LANDING, status_code=303)
            set_session_cookie(request, response, started.token)
            return response
    return _page(request, session, token, invitation, full_name=full_name, errors=errors, status_code=status_code)
