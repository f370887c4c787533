"""Institution administration pages: members and their roles, and invitations. The same services as the API;
the same rule (administrators of the institution, or the site superuser)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import exists, select
from sqlalchemy.orm import object_session
from sqlmodel import Session, col

from app.auth import invitations
from app.auth.directory import people_of
from app.auth.models import Membership, User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.auth.router import invitation_link
from app.auth.schemas import InvitationCreate
from app.auth.service import grant_roles, institution_member, revoke_role
from app.branding.service import branding_read, logo_data_uri
from app.committees.service import committee_records, committees_of
from app.db import SessionDep
from app.errors import DomainError, Invalid, NotFound
from app.formatting import COMMON_TIME_ZONES
from app.programs.models import Institution
from app.programs.service import get_institution, update_institution
from app.web.confirm import confirm_page
from app.web.session import WebPrincipal, render, templates

router = APIRouter(include_in_schema=False)

DONE_MESSAGES = {
    "granted": "Role granted.",
    "removed": "Role removed.",
    "revoked": "Invitation revoked: its link no longer works.",
    "branding": "Branding saved: reports generated from now on carry it.",
    "logo": "Logo saved (re-encoded as PNG): reports generated from now on carry it.",
    "logo_removed": "Logo removed: reports generated from now on carry none.",
    "committee": "Committee saved: approval chain steps naming it can be signed by its members.",
    "time_zone": "Time zone saved: pages, exports, reports and emails show times in it.",
}


def administers(user: User | None) -> bool:
    """Whether to show the Administration link: the user administers at least one institution. Asked from
    templates, in the request's own database session (the one that loaded the user)."""
    if user is None:
        return False
    if user.is_superuser:
        return True
    session = object_session(user)
    if session is None:
        return False
    held = exists().where(col(Membership.user_id) == user.id, col(Membership.role) == Role.ADMINISTRATOR.value)
    return bool(session.scalar(select(held)))


templates.env.globals["administers"] = administers


def administered_institutions(session: Session, user: User) -> list[Institution]:
    query = select(Institution).order_by(col(Institution.name))
    if not user.is_superuser:
        mine = select(col(Membership.institution_id)).where(
            col(Membership.user_id) == user.id, col(Membership.role) == Role.ADMINISTRATOR.value
        )
        query = query.where(col(Institution.id).in_(mine))
    return list(session.scalars(query))


def _institution_for_admin(session: Session, user: User, institution_id: uuid.UUID) -> Institution:
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    return get_institution(session, institution_id)


EMPTY_INVITE: dict[str, Any] = {"email": "", "full_name": "", "roles": []}


def _admin_page(
    request: Request, principal: WebPrincipal, session: Session, institution: Institution, *,
    form: dict[str, Any] | None = None, errors: dict[str, str] | None = None, new_link: str | None = None,
    message: dict[str, str] | None = None, status_code: int = 200, extra: dict[str, Any] | None = None,
) -> HTMLResponse:
    rows = [(i, invitations.invitation_state(i).value) for i in invitations.invitations_of(session, institution.id)]
    context = {
        "nav": "admin", "institution": institution, "members": people_of(session, institution.id),
        "invitations": rows, "roles": list(Role), "form": form or EMPTY_INVITE, "errors": errors or {},
        "new_link": new_link, "message": message, "me": principal.user,
        "mail_enabled": request.app.state.settings.mail_enabled,
        "branding": branding_read(session, institution.id), "logo_src": logo_data_uri(session, institution.id),
        "branding_form": None, "branding_errors": None,
        "committees": committee_records(session, committees_of(session, institution.id)), "committee_errors": {},
        "committee_form": {}, "role_errors": {},
        "time_zones": COMMON_TIME_ZONES, "time_zone_form": None, "time_zone_error": None,
        **(extra or {}),
    }
    return render(request, principal, "admin.html", context, status_code=status_code)


@router.get("/admin", response_class=HTMLResponse)
def admin_index(request: Request, principal: WebPrincipal, session: SessionDep) -> Response:
    institutions = administered_institutions(session, principal.user)
    if len(institutions) == 1:
        return RedirectResponse(f"/institutions/{institutions[0].id}/admin", status_code=303)
    return render(request, principal, "admin_index.html", {"nav": "admin", "institutions": institutions})


@router.get("/institutions/{institution_id}/admin", response_class=HTMLResponse)
def admin_page(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    institution = _institution_for_admin(session, principal.user, institution_id)
    message = {"kind": "ok", "text": DONE_MESSAGES[done]} if done in DONE_MESSAGES else None
    return _admin_page(request, principal, session, institution, message=message)


@router.post("/institutions/{institution_id}/admin/time-zone", response_class=HTMLResponse)
def set_time_zone(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    time_zone: Annotated[str, Form(max_length=64)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    try:
        update_institution(session, principal.user, institution, time_zone=time_zone.strip())
    except Invalid as error:
        return _admin_page(request, principal, session, institution, status_code=422,
                           extra={"time_zone_form": time_zone, "time_zone_error": error.detail})
    return RedirectResponse(f"/institutions/{institution.id}/admin?done=time_zone#time-zone-heading", status_code=303)


@router.post("/institutions/{institution_id}/admin/invitations", response_class=HTMLResponse)
def invite(
    request: Request,
    principal: WebPrincipal,
    institution_id: uuid.UUID,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    roles: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    form = {"email": email, "full_name": full_name, "roles": roles or []}
    try:
        data = InvitationCreate.model_validate(form)
        invitation, token = invitations.create_invitation(
            session, principal.user, institution.id, data.email, data.full_name, data.roles,
            send_email=request.app.state.settings.mail_enabled,
        )
    except ValidationError as error:
        errors = {str(e["loc"][0]): _plain(e) for e in error.errors()}
        return _admin_page(request, principal, session, institution, form=form, errors=errors, status_code=422)
    except Invalid as error:
        return _admin_page(request, principal, session, institution, form=form, errors={error.field: error.detail},
                           status_code=422)
    except DomainError as error:  # a pending invitation or the roles already held: about the email
        return _admin_page(request, principal, session, institution, form=form, errors={"email": error.detail},
                           status_code=error.status_code)
    # Worded alike whether or not the email has an account: the page tells nothing about other people.
    message = {"kind": "ok", "text": f"An invitation was created for {invitation.full_name} ({invitation.email}); "
                                     "send them this link."}
    return _admin_page(request, principal, session, institution, new_link=invitation_link(request, token),
                       message=message, status_code=201)


def _plain(error: Any) -> str:
    """A schema error in words a person filling the form understands."""
    field = str(error["loc"][0])
    if field == "email":
        return "enter an email address, like name@hospital.org"
    if field == "roles":
        return "choose at least one role"
    if field == "full_name":
        return "enter the person's full name"
    return str(error["msg"])


@router.get("/institutions/{institution_id}/admin/invitations/{invitation_id}/revoke", response_class=HTMLResponse)
def confirm_revoke_invitation(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, invitation_id: uuid.UUID,
    session: SessionDep,
) -> HTMLResponse:
    institution = _institution_for_admin(session, principal.user, institution_id)
    invitation = invitations.get_invitation(session, invitation_id)
    if invitation.institution_id != institution.id:
        raise NotFound("invitation not found")
    return confirm_page(
        request, principal, question=f"Revoke the invitation to {invitation.full_name} ({invitation.email})?",
        detail="Its link stops working at once. You can invite them again later.", button="Revoke invitation",
        cancel=f"/institutions/{institution.id}/admin#invitations-heading", nav="admin",
    )


@router.post("/institutions/{institution_id}/admin/invitations/{invitation_id}/revoke")
def revoke_invitation(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, invitation_id: uuid.UUID,
    session: SessionDep, csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    invitation = invitations.get_invitation(session, invitation_id)
    if invitation.institution_id != institution.id:
        raise NotFound("invitation not found")
    try:
        invitations.revoke_invitation(session, principal.user, invitation)
    except DomainError as error:
        message = {"kind": "error", "text": error.detail}
        return _admin_page(request, principal, session, institution, message=message, status_code=error.status_code)
    return RedirectResponse(f"/institutions/{institution.id}/admin?done=revoked", status_code=303)


@router.post("/institutions/{institution_id}/admin/members/{user_id}/roles")
def grant_role(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, user_id: uuid.UUID,
    session: SessionDep, role: Annotated[str, Form(max_length=40)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    member = institution_member(session, institution.id, user_id)
    if role not in {r.value for r in Role}:
        error = f"Role: choose a role to give {member.full_name}."
        return _admin_page(request, principal, session, institution, status_code=422,
                           extra={"role_errors": {str(member.id): error}})
    grant_roles(session, principal.user, institution.id, member, [Role(role)])
    return RedirectResponse(f"/institutions/{institution.id}/admin?done=granted#member-{member.id}", status_code=303)


@router.get("/institutions/{institution_id}/admin/members/{user_id}/roles/{role}/remove",
            response_class=HTMLResponse)
def confirm_remove_role(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, user_id: uuid.UUID, role: Role,
    session: SessionDep,
) -> HTMLResponse:
    institution = _institution_for_admin(session, principal.user, institution_id)
    member = institution_member(session, institution.id, user_id)
    return confirm_page(
        request, principal, question=f"Remove the role {role.label} from {member.full_name}?",
        detail=f"{member.full_name} can no longer do what the {role.label.lower()} does at {institution.name}. "
               "You can give the role back later.",
        button="Remove role", cancel=f"/institutions/{institution.id}/admin#member-{member.id}", nav="admin",
    )


@router.post("/institutions/{institution_id}/admin/members/{user_id}/roles/{role}/remove")
def remove_role(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, user_id: uuid.UUID, role: Role,
    session: SessionDep, csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    member = institution_member(session, institution.id, user_id)
    try:
        revoke_role(session, principal.user, institution.id, member, role)
    except DomainError as error:
        message = {"kind": "error", "text": error.detail}
        return _admin_page(request, principal, session, institution, message=message, status_code=error.status_code)
    return RedirectResponse(f"/institutions/{institution.id}/admin?done=removed", status_code=303)
