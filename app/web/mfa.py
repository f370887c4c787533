"""Pages for two-factor authentication (the login's second step, enrolment on My account) and an institution's
security settings (MFA rule and service accounts). The same services as the API."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import object_session
from sqlmodel import Session

from app.auth import mfa, service_accounts
from app.auth.models import User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.auth.router import set_session_cookie
from app.auth.security_schemas import ServiceAccountCreate
from app.auth.service import start_session
from app.auth.throttle import client_address
from app.db import SessionDep
from app.errors import DomainError, Invalid
from app.programs.models import Institution
from app.programs.service import get_institution
from app.web.confirm import confirm_page
from app.web.session import SameSite, WebPrincipal, render, templates

router = APIRouter(include_in_schema=False)

PENDING_COOKIE = "gtready_mfa_pending"
ENROL_PATH = "/account/mfa"


def _safe_next(next_path: str) -> str:
    return next_path if next_path.startswith("/") and not next_path.startswith("//") else "/"


def after_password(request: Request, session: Session, user: User, next_path: str) -> Response | None:
    """What the login form does once the password is right, for someone who uses (or must use) a second factor:
    the code page, or enrolment. None for everyone else (the login simply goes on)."""
    if mfa.mfa_enabled(session, user):
        plain = mfa.start_pending_login(session, user, _safe_next(next_path))
        response = RedirectResponse("/login/mfa", status_code=303)
        response.set_cookie(PENDING_COOKIE, plain, max_age=int(mfa.PENDING_LIFETIME.total_seconds()), httponly=True,
                            secure=request.url.scheme == "https", samesite="lax", path="/login")
        return response
    if mfa.must_enrol(session, user):
        started = start_session(session, user)
        response = RedirectResponse(f"{ENROL_PATH}?required=1", status_code=303)
        set_session_cookie(request, response, started.token)
        return response
    return None


def _code_page(request: Request, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, None, "login_mfa.html", {"error": error}, status_code=status_code)


@router.get("/login/mfa", response_class=HTMLResponse)
def code_page(request: Request, session: SessionDep) -> Response:
    plain = request.cookies.get(PENDING_COOKIE, "")
    if not plain or mfa.pending_login(session, plain) is None:
        return RedirectResponse("/login", status_code=303)
    return _code_page(request)


@router.post("/login/mfa", response_class=HTMLResponse, dependencies=[SameSite])
def submit_code(request: Request, session: SessionDep, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    plain = request.cookies.get(PENDING_COOKIE, "")
    try:
        user, next_path = mfa.finish_pending_login(session, plain, code.replace("\x00", ""), client_address(request))
    except DomainError as error:
        if error.status_code == 404:
            response: Response = render(request, None, "login.html",
                                        {"next": "/", "email": "", "error": error.detail}, status_code=401)
            response.delete_cookie(PENDING_COOKIE, path="/login")
            return response
        return _code_page(request, error.detail, error.status_code)
    started = start_session(session, user)  # a fresh session id only now, with both factors given
    response = RedirectResponse(_safe_next(next_path), status_code=303)
    set_session_cookie(request, response, started.token)
    response.delete_cookie(PENDING_COOKIE, path="/login")
    return response


def _enrol_page(
    request: Request, principal: WebPrincipal, session: Session, *, status_code: int = 200,
    errors: dict[str, str] | None = None, recovery_codes: list[str] | None = None, required: bool = False,
    message: str | None = None,
) -> HTMLResponse:
    user = principal.user
    record = mfa.mfa_record(session, user)
    enrolling = record is not None and record.enabled_at is None and recovery_codes is None
    context = {
        "nav": "account", "enabled": record is not None and record.enabled_at is not None,
        "enrolling": enrolling, "errors": errors or {}, "recovery_codes": recovery_codes,
        "required": required or mfa.must_enrol(session, user), "message": message,
        "codes_left": mfa.recovery_codes_left(session, user),
    }
    if enrolling and record is not None:
        uri = mfa.provisioning_uri(user, record.secret)
        context |= {"secret": record.secret, "qr": mfa.qr_data_uri(uri)}
    return render(request, principal, "account_mfa.html", context, status_code=status_code)


@router.get(ENROL_PATH, response_class=HTMLResponse)
def enrol_page(
    request: Request, principal: WebPrincipal, session: SessionDep,
    required: Annotated[str, Query(max_length=1)] = "", done: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    message = "Two-factor authentication is off." if done == "off" else None
    return _enrol_page(request, principal, session, required=required == "1", message=message)


@router.post(f"{ENROL_PATH}/enrol", response_class=HTMLResponse)
def start_enrolment(
    request: Request, principal: WebPrincipal, session: SessionDep, csrf_token: Annotated[str, Form()] = ""
) -> HTMLResponse:
    principal.check_csrf(csrf_token)
    mfa.start_enrolment(session, principal.user)
    return _enrol_page(request, principal, session)


@router.post(f"{ENROL_PATH}/confirm", response_class=HTMLResponse)
def confirm_enrolment(
    request: Request, principal: WebPrincipal, session: SessionDep,
    code: Annotated[str, Form(max_length=40)] = "", csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    principal.check_csrf(csrf_token)
    try:
        codes = mfa.confirm_enrolment(session, principal.user, code.replace("\x00", ""))
    except Invalid as error:
        return _enrol_page(request, principal, session, errors={"code": error.detail}, status_code=422)
    return _enrol_page(request, principal, session, recovery_codes=codes)


@router.post(f"{ENROL_PATH}/disable", response_class=HTMLResponse)
def disable(
    request: Request, principal: WebPrincipal, session: SessionDep,
    password: Annotated[str, Form(max_length=1000)] = "", code: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    try:
        mfa.disable_mfa(session, principal.user, password.replace("\x00", ""), code.replace("\x00", ""),
                        client_address(request))
    except DomainError as error:
        field = "code" if error.extra.get("field") == "totp_code" else "password"
        return _enrol_page(request, principal, session, errors={field: error.detail}, status_code=error.status_code)
    return RedirectResponse(f"{ENROL_PATH}?done=off", status_code=303)


# --- the institution's security settings ------------------------------------------------------------------

SECURITY_MESSAGES = {"saved": "Security settings saved.", "revoked": "Service account revoked: its tokens no "
                     "longer work."}


def _institution_for_admin(session: Session, user: User, institution_id: uuid.UUID) -> Institution:
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    return get_institution(session, institution_id)


def _security_page(
    request: Request, principal: WebPrincipal, session: Session, institution: Institution, *,
    message: dict[str, str] | None = None, new_account: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> HTMLResponse:
    context = {
        "nav": "admin", "institution": institution, "mfa_roles": mfa.MFA_ROLES,
        "required": mfa.required_roles(session, institution.id), "message": message,
        "accounts": service_accounts.service_accounts_of(session, institution.id), "new_account": new_account,
        "errors": errors or {},
    }
    return render(request, principal, "admin_security.html", context, status_code=status_code)


@router.get("/institutions/{institution_id}/admin/security", response_class=HTMLResponse)
def security_page(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    institution = _institution_for_admin(session, principal.user, institution_id)
    message = {"kind": "ok", "text": SECURITY_MESSAGES[done]} if done in SECURITY_MESSAGES else None
    return _security_page(request, principal, session, institution, message=message)


@router.post("/institutions/{institution_id}/admin/security/mfa")
def save_mfa_rule(
    principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    roles: Annotated[list[str] | None, Form()] = None, csrf_token: Annotated[str, Form()] = "",
) -> RedirectResponse:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    chosen = [r for r in mfa.MFA_ROLES if r.value in (roles or [])]
    mfa.set_required_roles(session, principal.user, institution.id, chosen)
    return RedirectResponse(f"/institutions/{institution.id}/admin/security?done=saved", status_code=303)


@router.post("/institutions/{institution_id}/admin/security/service-accounts", response_class=HTMLResponse)
def create_service_account(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    name: Annotated[str, Form(max_length=100)] = "", access: Annotated[str, Form(max_length=20)] = "read",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    try:
        data = ServiceAccountCreate.model_validate({"name": name, "access": access})
    except ValidationError as error:
        errors = {str(e["loc"][0]): str(e["msg"]) for e in error.errors()}
        return _security_page(request, principal, session, institution, errors=errors, status_code=422)
    account, secret = service_accounts.create_service_account(
        session, principal.user, institution.id, data.name, data.access)
    new_account = {"name": account.name, "client_id": account.client_id, "client_secret": secret}
    return _security_page(request, principal, session, institution, new_account=new_account, status_code=201)


@router.get("/institutions/{institution_id}/admin/security/service-accounts/{service_account_id}/revoke",
            response_class=HTMLResponse)
def confirm_revoke_service_account(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, service_account_id: uuid.UUID,
    session: SessionDep,
) -> HTMLResponse:
    institution = _institution_for_admin(session, principal.user, institution_id)
    account = service_accounts.get_service_account(session, institution.id, service_account_id)
    return confirm_page(
        request, principal, question=f"Revoke the service account “{account.name}”?",
        detail="The integration using it stops working at once. This cannot be undone.",
        button="Revoke service account", cancel=f"/institutions/{institution.id}/admin/security", nav="admin",
    )


@router.post("/institutions/{institution_id}/admin/security/service-accounts/{service_account_id}/revoke")
def revoke_service_account(
    principal: WebPrincipal, institution_id: uuid.UUID, service_account_id: uuid.UUID, session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> RedirectResponse:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    account = service_accounts.get_service_account(session, institution.id, service_account_id)
    service_accounts.revoke_service_account(session, principal.user, account)
    return RedirectResponse(f"/institutions/{institution.id}/admin/security?done=revoked", status_code=303)


def uses_mfa(user: User | None) -> bool:
    """Whether the sign-off form asks for a code: asked from templates, in the session that loaded the user."""
    session = object_session(user) if user is not None else None
    return user is not None and isinstance(session, Session) and mfa.mfa_enabled(session, user)


templates.env.globals["uses_mfa"] = uses_mfa
