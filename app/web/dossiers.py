"""The site dossiers page of a program: generate one per product, download, mark as sent, see what changed."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.service import roles_in
from app.checklists.router import CatalogDep
from app.db import SessionDep
from app.dossier.service import dossier_by_number, generate_dossier, list_dossiers, mark_sent
from app.errors import DomainError, NotFound
from app.evidence.files import LocalStorage
from app.programs.access import PROGRAM_MANAGERS, program_for
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)
NUMBER = r"^GTD-\d{4}-\d{6}$"


def _page(
    request: Request, principal: WebPrincipal, session: SessionDep, catalog: CatalogDep, program_id: uuid.UUID,
    message: dict[str, str] | None = None, status_code: int = 200,
) -> HTMLResponse:
    program = program_for(session, principal.user, program_id)
    can_manage = principal.user.is_superuser or bool(
        roles_in(session, principal.user, program.institution_id) & PROGRAM_MANAGERS
    )
    library = catalog.get(program.library_id, program.library_version)
    names = {p.id: p.name for p in library.products} if library else {}
    context = {
        "program": program, "dossiers": list_dossiers(session, program_id), "can_manage": can_manage,
        "products": [(p, names.get(p, p)) for p in program.products], "message": message,
    }
    return render(request, principal, "dossiers.html", context, status_code=status_code)


@router.get("/programs/{program_id}/dossiers", response_class=HTMLResponse)
def dossiers_page(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, session: SessionDep, catalog: CatalogDep,
    made: Annotated[str, Query(max_length=32)] = "", sent: Annotated[str, Query(max_length=32)] = "",
) -> HTMLResponse:
    message = None
    if made:
        message = {"kind": "ok", "text": f"Dossier {made} generated."}
    elif sent:
        message = {"kind": "ok", "text": f"Dossier {sent} marked as sent."}
    return _page(request, principal, session, catalog, program_id, message)


@router.post("/programs/{program_id}/dossiers", response_class=HTMLResponse)
def generate(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, session: SessionDep, catalog: CatalogDep,
    product: Annotated[str, Form(max_length=40)] = "", csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    try:
        program = program_for(session, principal.user, program_id, PROGRAM_MANAGERS)
        storage = LocalStorage(request.app.state.settings.evidence_dir)
        dossier, spool = generate_dossier(session, catalog, storage, principal.user, program,
                                          product.replace("\x00", "").strip())
        spool.close()
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        message = {"kind": "error", "text": error.detail}
        return _page(request, principal, session, catalog, program_id, message, status_code=error.status_code)
    return RedirectResponse(f"/programs/{program_id}/dossiers?made={dossier.number}", status_code=303)


@router.post("/programs/{program_id}/dossiers/{dossier_number}/sent", response_class=HTMLResponse)
def sent(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, dossier_number: str, session: SessionDep,
    catalog: CatalogDep, csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    program = program_for(session, principal.user, program_id)
    try:
        dossier = dossier_by_number(session, dossier_number[:32])
        if dossier.program_id != program.id:
            raise NotFound("dossier not found")
        program_for(session, principal.user, program_id, PROGRAM_MANAGERS)
        mark_sent(session, principal.user, dossier)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        message = {"kind": "error", "text": error.detail}
        return _page(request, principal, session, catalog, program_id, message, status_code=error.status_code)
    return RedirectResponse(f"/programs/{program_id}/dossiers?sent={dossier.number}", status_code=303)
