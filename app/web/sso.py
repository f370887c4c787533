"""Single sign-on pages: the round trip to the provider for a login or a signature, what went wrong in plain
words when it fails, and the administrators' section of the institution page. The same services as the API."""

import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import object_session

from app.auth.models import User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.auth.router import set_session_cookie
from app.db import SessionDep
from app.errors import DomainError
from app.programs.access import program_for
from app.programs.models import Institution
from app.programs.service import get_institution
from app.signoffs.models import Meaning
from app.signoffs.service import sign_off_item
from app.sso import service
from app.sso.grants import signs_with_sso
from app.sso.oidc import SsoFailure
from app.sso.schemas import SsoConfig
from app.web.session import WebPrincipal, render, templates

router = APIRouter(include_in_schema=False)

STATE_COOKIE = "gtready_sso_state"


def _signs_with_sso(user: User | None) -> bool:
    session = object_session(user) if user is not None else None
    return bool(user is not None and session is not None and signs_with_sso(session, user))  # type: ignore[arg-type]


def _sso_settings(institution: Institution) -> SsoConfig:
    session = object_session(institution)
    return service.sso_config(session, institution.id) if session else SsoConfig()  # type: ignore[arg-type]


templates.env.globals["signs_with_sso"] = _signs_with_sso
templates.env.globals["sso_settings"] = _sso_settings


def _safe_next(next_path: str) -> str:
    return next_path if next_path.startswith("/") and not next_path.startswith("//") else "/"


def _failure_page(request: Request, failure: SsoFailure, back: str = "/login") -> HTMLResponse:
    service.log_failure(failure)
    context = {"failure": failure, "back": back}
    return render(request, None, "sso_error.html", context, status_code=failure.status_code)


@router.get("/auth/sso/login")
def sso_login(request: Request, session: SessionDep, next: Annotated[str, Query(max_length=2000)] = "/") -> Response:
    try:
        url = service.start_login(session, request.app.state.settings, _safe_next(next))
    except SsoFailure as failure:
        return _failure_page(request, failure)
    response = RedirectResponse(url, status_code=303)
    # Binds the round trip to this browser (see service.finish); Lax: sent when the provider sends it back.
    response.set_cookie(STATE_COOKIE, parse_qs(urlsplit(url).query)["state"][0], max_age=600, path="/auth/sso",
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")
    return response


@router.get("/auth/sso/callback")
def sso_callback(
    request: Request, session: SessionDep,
    state: Annotated[str, Query(max_length=200)] = "", code: Annotated[str, Query(max_length=4000)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
    error_description: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    settings = request.app.state.settings
    try:
        done = service.finish(session, settings, state=state.replace("\x00", ""), code=code.replace("\x00", ""),
                              error=error.replace("\x00", ""), error_description=error_description.replace("\x00", ""),
                              browser_state=request.cookies.get(STATE_COOKIE, ""))
    except SsoFailure as failure:
        return _failure_page(request, failure)
    if done.purpose == service.LOGIN:
        response = RedirectResponse(_safe_next(done.next_path), status_code=303)
        response.delete_cookie(STATE_COOKIE, path="/auth/sso")
        set_session_cookie(request, response, service.start_sso_session(session, settings, done.user))
        return response
    if not done.payload:  # a grant asked for through the API: the script goes on
        return RedirectResponse("/auth/sso/confirmed", status_code=303)
    return _sign_with_grant(request, session, done.user, done.payload)


def _sign_with_grant(request: Request, session: SessionDep, user: User, form: dict[str, Any]) -> Response:
    program_id, key = uuid.UUID(form["program_id"]), str(form["key"])
    back = f"/programs/{program_id}/items/{quote(key)}"
    try:
        program = program_for(session, user, program_id)
        meeting = form.get("meeting_date")
        sign_off_item(session, user, program, key, signing_grant=form["grant"], meaning=Meaning(form["meaning"]),
                      statement=form["statement"], expected_version=int(form["version"]), step=form.get("step"),
                      committee=form.get("committee"), meeting_date=date.fromisoformat(meeting) if meeting else None)
    except DomainError as error:
        session.rollback()
        failure = SsoFailure("signature_refused", f"You confirmed who you are, but the signature was not recorded: "
                             f"{error.detail}", status_code=error.status_code)
        return _failure_page(request, failure, back)
    return RedirectResponse(f"{back}?done=signed", status_code=303)


@router.get("/auth/sso/confirmed", response_class=HTMLResponse)
def sso_confirmed(request: Request) -> HTMLResponse:
    return render(request, None, "sso_confirmed.html", {})


@router.post("/programs/{program_id}/items/{key}/signoff/sso")
def sign_item_with_sso(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, key: str, session: SessionDep,
    meaning: Annotated[Meaning, Form()], version: Annotated[int, Form()],
    statement: Annotated[str, Form(max_length=2000)] = "", csrf_token: Annotated[str, Form()] = "",
    step: Annotated[int | None, Form(ge=1, le=10)] = None, committee: Annotated[str, Form(max_length=40)] = "",
    meeting_date: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Sign through the provider: the form (an approval chain's step, committee and meeting date included) is
    kept with the pending signature, the person signs in again there, and the signature is made when the provider
    sends them back (app/sso/service.py). A meeting date that is not a date is refused before the round trip."""
    principal.check_csrf(csrf_token)
    program = program_for(session, principal.user, program_id)
    back = f"/programs/{program.id}/items/{quote(key)}"
    try:
        met = date.fromisoformat(meeting_date.strip()) if meeting_date.strip() else None
    except ValueError:
        return _failure_page(request, SsoFailure("invalid_form", "The meeting date is not a date: nothing was "
                                                 "signed. Go back and choose the date of the meeting.",
                                                 status_code=422), back)
    try:
        _, _, url = service.start_signing(
            session, request.app.state.settings, principal.user,
            payload={"program_id": str(program.id), "key": key, "meaning": meaning.value, "version": version,
                     "statement": statement.replace("\x00", "").strip(), "step": step,
                     "committee": committee.replace("\x00", "").strip() or None,
                     "meeting_date": met.isoformat() if met else None},
        )
    except SsoFailure as failure:
        return _failure_page(request, failure, back)
    # Not a redirect: the pages' CSP (form-action 'self') rightly stops a form post from being redirected to
    # another site, so a page sends the browser on (meta refresh, no JavaScript) with a link as well.
    return render(request, principal, "sso_redirect.html", {"url": url})


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\x00", "").splitlines() if line.strip()]


def parse_admin_form(domains: str, claims: str, groups: str, require_sso: bool) -> dict[str, Any]:
    """The admin form's three text areas as the API's body; a line that cannot be read names itself."""
    rules: list[dict[str, Any]] = [{"email_domain": d, "require_sso": require_sso} for d in _lines(domains)]
    for number, line in enumerate(_lines(claims), 1):
        claim, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"claims, line {number}: write claim=value, like tenant=riverside")
        rules.append({"claim": claim.strip(), "value": value.strip(), "require_sso": require_sso})
    mappings: list[dict[str, str]] = []
    for number, line in enumerate(_lines(groups), 1):
        group, sep, role = line.rpartition("=")
        if not sep or role.strip() not in {r.value for r in Role}:
            raise ValueError(f"group mappings, line {number}: write group = role, with a role among "
                             f"{', '.join(r.value for r in Role)}")
        mappings.append({"group": group.strip(), "role": role.strip()})
    return {"rules": rules, "group_roles": mappings}


@router.post("/institutions/{institution_id}/admin/sso")
def save_sso(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    domains: Annotated[str, Form(max_length=10000)] = "", claims: Annotated[str, Form(max_length=10000)] = "",
    groups: Annotated[str, Form(max_length=50000)] = "", require_sso: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    require_member(session, principal.user, institution_id, [Role.ADMINISTRATOR], what="institution")
    institution = get_institution(session, institution_id)
    try:
        body = SsoConfig.model_validate(parse_admin_form(domains, claims, groups, bool(require_sso)))
        service.set_sso_config(session, principal.user, institution.id, body)
    except ValidationError as error:
        first = error.errors()[0]
        where = " ".join(str(part) for part in first["loc"])
        return _admin_error(request, principal, institution, f"Single sign-on not saved: {where}: {first['msg']}")
    except (ValueError, DomainError) as error:
        text = error.detail if isinstance(error, DomainError) else str(error)
        return _admin_error(request, principal, institution, f"Single sign-on not saved: {text}")
    return RedirectResponse(f"/institutions/{institution.id}/admin?done=sso#sso-heading", status_code=303)


def _admin_error(request: Request, principal: WebPrincipal, institution: Institution, text: str) -> Response:
    context = {"status": 422, "title": "Single sign-on not saved", "detail": text}
    return render(request, principal, "error.html", context, status_code=422)
