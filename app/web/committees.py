"""Committee forms on the institution's administration page: set one up, seat and unseat members."""

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.service import institution_member
from app.committees import service
from app.db import SessionDep
from app.errors import DomainError, Invalid
from app.web.admin import _admin_page, _institution_for_admin
from app.web.confirm import confirm_page
from app.web.session import WebPrincipal

router = APIRouter(include_in_schema=False)
_SLUG = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def _back(institution_id: uuid.UUID) -> RedirectResponse:
    return RedirectResponse(f"/institutions/{institution_id}/admin?done=committee#committees", status_code=303)


@router.post("/institutions/{institution_id}/admin/committees", response_class=HTMLResponse)
def create_committee(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    slug: Annotated[str, Form(max_length=100)] = "", name: Annotated[str, Form(max_length=300)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    slug, name = slug.replace("\x00", "").strip(), name.replace("\x00", "").strip()
    try:
        if not _SLUG.match(slug):
            raise Invalid("use lowercase letters, digits, - or _, starting with a letter (e.g. pt)", field="slug")
        if not name or len(name) > 200:
            raise Invalid("enter the committee's name (up to 200 characters)", field="name")
        service.create_committee(session, principal.user, institution.id, slug, name)
    except DomainError as error:
        field = error.field if isinstance(error, Invalid) else "slug"
        return _admin_page(request, principal, session, institution, status_code=error.status_code,
                           extra={"committee_errors": {field: error.detail},
                                  "committee_form": {"slug": slug, "name": name}})
    return _back(institution.id)


@router.post("/institutions/{institution_id}/admin/committees/{slug}/members", response_class=HTMLResponse)
def add_member(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, slug: str, session: SessionDep,
    user_id: Annotated[str, Form(max_length=64)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    committee = service.get_committee(session, institution.id, slug)
    try:
        try:
            member = uuid.UUID(user_id)
        except ValueError:
            raise Invalid("choose a member of the institution", field="user_id") from None
        service.add_member(session, principal.user, committee, member)
    except DomainError as error:
        message = {"kind": "error", "text": f"{committee.name}: {error.detail}"}
        return _admin_page(request, principal, session, institution, message=message, status_code=error.status_code)
    return _back(institution.id)


@router.get("/institutions/{institution_id}/admin/committees/{slug}/members/{user_id}/remove",
            response_class=HTMLResponse)
def confirm_remove_member(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, slug: str, user_id: uuid.UUID,
    session: SessionDep,
) -> HTMLResponse:
    institution = _institution_for_admin(session, principal.user, institution_id)
    committee = service.get_committee(session, institution.id, slug)
    member = institution_member(session, institution.id, user_id)
    return confirm_page(
        request, principal, question=f"Remove {member.full_name} from the {committee.name}?",
        detail=f"They can no longer sign approval chain steps on behalf of the {committee.name}. Signatures "
               "they gave stand.",
        button="Remove from committee", cancel=f"/institutions/{institution.id}/admin#committee-{slug}", nav="admin",
    )


@router.post("/institutions/{institution_id}/admin/committees/{slug}/members/{user_id}/remove")
def remove_member(
    principal: WebPrincipal, institution_id: uuid.UUID, slug: str, user_id: uuid.UUID, session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    service.remove_member(session, principal.user, service.get_committee(session, institution.id, slug), user_id)
    return _back(institution.id)
