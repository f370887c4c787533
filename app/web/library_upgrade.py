"""The library upgrade page: a program's pinned library version, the newer ones, the diff, and applying it.

The same services as GET /api/programs/{id}/library-diff and POST /api/programs/{id}/library-upgrade.
"""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.deps import Principal
from app.auth.service import roles_in
from app.checklists.loader import Catalog
from app.checklists.router import CatalogDep
from app.checklists.schema import version_key
from app.db import SessionDep
from app.errors import DomainError, Invalid
from app.institution_libraries.catalog import institution_catalog
from app.programs import upgrade
from app.programs.access import PROGRAM_MANAGERS, program_for
from app.programs.models import Program
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)


def newer_versions(catalog: Catalog, program: Program) -> list[str]:
    """Versions of the program's library newer than the one it is pinned to, newest first."""
    pinned = version_key(program.library_version)
    return [lib.version for lib in reversed(catalog.versions(program.library_id)) if version_key(lib.version) > pinned]


def _library_page(
    request: Request, principal: Principal, session: SessionDep, catalog: CatalogDep, program: Program,
    to_version: str, *, message: dict[str, str] | None = None, status_code: int = 200,
) -> HTMLResponse:
    catalog = institution_catalog(session, catalog, program.institution_id, program.library_id)  # uploads too
    newer = newer_versions(catalog, program)
    chosen = to_version or (newer[0] if newer else "")
    errors: dict[str, str] = {}
    diff = None
    if chosen:
        try:
            if chosen not in newer:
                raise Invalid(f"{chosen} is not a newer version of {program.library_id}; choose one of the list",
                              field="to_version")
            diff = upgrade.library_diff(session, catalog, program.id, chosen)
        except Invalid as error:
            errors[error.field] = error.detail
            status_code = max(status_code, 422)
    held = roles_in(session, principal.user, program.institution_id)
    target = catalog.get(program.library_id, diff.to_version) if diff else None
    area_titles = {area["id"]: area["title"] for area in program.areas}
    area_titles |= {area.id: area.title for area in target.areas} if target else {}
    context: dict[str, Any] = {
        "program": program,
        "library": catalog.get(program.library_id, program.library_version),
        "newer": newer, "chosen": chosen, "diff": diff, "errors": errors, "message": message, "areas": area_titles,
        "can_apply": principal.user.is_superuser or bool(held & PROGRAM_MANAGERS),
    }
    return render(request, principal, "library_upgrade.html", context, status_code=status_code)


@router.get("/programs/{program_id}/library", response_class=HTMLResponse)
def library_upgrade_page(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, session: SessionDep, catalog: CatalogDep,
    to_version: Annotated[str, Query(max_length=40)] = "", upgraded: Annotated[str, Query(max_length=40)] = "",
    added: Annotated[int, Query(ge=0)] = 0, retired: Annotated[int, Query(ge=0)] = 0,
    changed: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    program = program_for(session, principal.user, program_id)
    message = {"kind": "ok", "text": f"Upgraded to {program.library_id} {upgraded}: {added} added, {retired} retired, "
                                     f"{changed} changed."} if upgraded else None
    return _library_page(request, principal, session, catalog, program, to_version.strip(), message=message)


@router.post("/programs/{program_id}/library", response_class=HTMLResponse)
def apply_library_upgrade(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, session: SessionDep, catalog: CatalogDep,
    to_version: Annotated[str, Form(max_length=40)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    program = program_for(session, principal.user, program_id, PROGRAM_MANAGERS)
    try:
        if to_version not in newer_versions(catalog, program):
            raise Invalid(f"{to_version or 'no version'} is not a newer version of {program.library_id}",
                          field="to_version")
        diff = upgrade.upgrade_program(session, catalog, program.id, to_version, actor=principal.user)
    except DomainError as error:
        message = {"kind": "error", "text": f"The upgrade was not applied: {error.detail}"}
        return _library_page(request, principal, session, catalog, program, to_version, message=message,
                             status_code=error.status_code)
    done = {"upgraded": diff.to_version, "added": len(diff.added), "retired": len(diff.removed),
            "changed": len(diff.changed)}
    return RedirectResponse(f"/programs/{program_id}/library?{urlencode(done)}", status_code=303)
