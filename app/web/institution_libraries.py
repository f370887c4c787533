"""The libraries page's part for an institution's own libraries: its versions, downloads and the upload form."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from app.auth.deps import Principal
from app.auth.models import User
from app.auth.permissions import require_member
from app.auth.service import institution_ids_of, roles_in
from app.checklists.loader import Catalog
from app.checklists.router import CatalogDep
from app.clock import today
from app.db import SessionDep
from app.errors import DomainError
from app.institution_libraries.parse import MAX_FILE_BYTES
from app.institution_libraries.service import LibraryRefused, import_library, list_versions
from app.programs.access import PROGRAM_MANAGERS
from app.programs.models import Institution
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)


def libraries_context(
    session: Session, catalog: Catalog, user: User, *, uploaded: str = "",
    refused: tuple[uuid.UUID, str, list[str]] | None = None,
) -> dict[str, Any]:
    """The shipped libraries, and for each of the person's institutions its own versions (newest first)."""
    libraries = catalog.all()
    ids = institution_ids_of(session, user)
    query = select(Institution).order_by(col(Institution.name))
    if ids is not None:
        query = query.where(col(Institution.id).in_(ids))
    own: list[dict[str, Any]] = []
    for institution in session.exec(query).all():
        versions = list_versions(session, institution.id)
        can_upload = user.is_superuser or bool(roles_in(session, user, institution.id) & PROGRAM_MANAGERS)
        own.append({"institution": institution, "versions": versions, "can_upload": can_upload})
    keys = {
        f"{v.row.institution_id}/{v.row.library_id}/{v.row.version}"
        for entry in own
        for v in entry["versions"]
    }
    return {
        "nav": "libraries", "libraries": libraries,
        "overdue_reviews": {library.key: library.overdue_reviews(today()) for library in libraries},
        "own": own, "uploaded": uploaded if uploaded in keys else "",
        "refused": {"institution_id": refused[0], "detail": refused[1], "problems": refused[2]} if refused else None,
    }


@router.post("/institutions/{institution_id}/libraries", response_class=HTMLResponse)
def upload_library_form(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep, catalog: CatalogDep,
    file: Annotated[UploadFile, File()], csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    require_member(session, principal.user, institution_id, PROGRAM_MANAGERS, what="institution")
    content = file.file.read(MAX_FILE_BYTES + 1)
    try:
        stored = import_library(session, catalog, principal.user, institution_id, content, file.filename or "upload")
    except LibraryRefused as error:
        return _page(request, principal, session, catalog, (institution_id, error.detail, error.extra["problems"]),
                     error.status_code)
    except DomainError as error:
        return _page(request, principal, session, catalog, (institution_id, error.detail, []), error.status_code)
    row = stored.row
    return RedirectResponse(f"/libraries?uploaded={row.institution_id}/{row.library_id}/{row.version}"
                            f"#institution-{row.institution_id}", status_code=303)


def _page(
    request: Request, principal: Principal, session: Session, catalog: Catalog,
    refused: tuple[uuid.UUID, str, list[str]], status_code: int,
) -> HTMLResponse:
    context = libraries_context(session, catalog, principal.user, refused=refused)
    return render(request, principal, "libraries.html", context, status_code=status_code)
