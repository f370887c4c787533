"""Report branding on the institution administration page: name line, colours, logo. The same services and the
same rule as the API (administrators of the institution, or the site superuser)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.branding import service
from app.branding.logo import MAX_LOGO_BYTES
from app.branding.schemas import BrandingUpdate
from app.db import SessionDep
from app.errors import DomainError
from app.web.admin import _admin_page, _institution_for_admin
from app.web.session import WebPrincipal

router = APIRouter(include_in_schema=False)

PLAIN = {
    "name_line": "at most 200 characters",
    "primary_colour": "a colour as #rrggbb, like #174a6d",
    "accent_colour": "a colour as #rrggbb, like #1f5f8b",
}


@router.post("/institutions/{institution_id}/admin/branding", response_class=HTMLResponse)
def save_branding(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    name_line: Annotated[str, Form(max_length=400)] = "", primary_colour: Annotated[str, Form(max_length=40)] = "",
    accent_colour: Annotated[str, Form(max_length=40)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    form = {"name_line": name_line, "primary_colour": primary_colour, "accent_colour": accent_colour}
    try:
        data = BrandingUpdate.model_validate(form)
    except ValidationError as error:
        errors = {str(e["loc"][0]): PLAIN.get(str(e["loc"][0]), str(e["msg"])) for e in error.errors()}
        return _admin_page(request, principal, session, institution, status_code=422,
                           extra={"branding_form": form, "branding_errors": errors})
    service.update_branding(session, principal.user, institution.id, data)
    return RedirectResponse(f"/institutions/{institution.id}/admin?done=branding#branding", status_code=303)


@router.post("/institutions/{institution_id}/admin/branding/logo", response_class=HTMLResponse)
def upload_logo(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    file: Annotated[UploadFile, File()], csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    try:
        service.set_logo(session, principal.user, institution.id, file.file.read(MAX_LOGO_BYTES + 1))
    except DomainError as error:
        return _admin_page(request, principal, session, institution, status_code=error.status_code,
                           extra={"branding_errors": {"file": error.detail.removeprefix("file: ")}})
    return RedirectResponse(f"/institutions/{institution.id}/admin?done=logo#branding", status_code=303)


@router.post("/institutions/{institution_id}/admin/branding/logo/remove", response_class=HTMLResponse)
def remove_logo(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    institution = _institution_for_admin(session, principal.user, institution_id)
    try:
        service.delete_logo(session, principal.user, institution.id)
    except DomainError as error:
        return _admin_page(request, principal, session, institution, status_code=error.status_code,
                           extra={"branding_errors": {"file": error.detail}})
    return RedirectResponse(f"/institutions/{institution.id}/admin?done=logo_removed#branding", status_code=303)
