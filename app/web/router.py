"""Server-rendered pages. They call the same services as the API; no business logic lives here."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.auth.service import institution_ids_of
from app.capacity.service import capacities_of
from app.checklists.router import CatalogDep
from app.checklists.schema import JURISDICTION_LABELS
from app.clock import today
from app.db import SessionDep
from app.errors import NotFound
from app.programs import service
from app.programs.access import program_for
from app.programs.history import readiness_chart, readiness_history, recent_activity
from app.programs.readiness import readiness_of_programs
from app.web.institution_libraries import libraries_context
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard_page(request: Request, principal: WebPrincipal, session: SessionDep) -> HTMLResponse:
    programs = service.programs_of(session, institution_ids_of(session, principal.user))
    listed = [program for _, program in programs]
    readiness_by_program = readiness_of_programs(session, listed)
    capacities = capacities_of(session, listed)
    context = {"nav": "dashboard", "programs": programs, "readiness_by_program": readiness_by_program,
               "activity": recent_activity(session, listed),
               "capacities": [(i, capacities[i.id]) for i in {i.id: i for i, _ in programs}.values()
                              if capacities[i.id].resources]}
    return render(request, principal, "dashboard.html", context)


@router.get("/programs/{program_id}/history", response_class=HTMLResponse)
def history_page(request: Request, principal: WebPrincipal, program_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    """A program's readiness over time. The dashboard loads each program's chart from here after the page
    (htmx asks for the bare chart), so a dashboard of many programs with long histories shows at once;
    without JavaScript the dashboard links here instead."""
    program = program_for(session, principal.user, program_id)
    points = readiness_history(session, [program])[program.id]
    if request.headers.get("hx-request"):
        return HTMLResponse(readiness_chart(points, program.title))
    chart = readiness_chart(points, program.title, width=760, height=240)
    return render(request, principal, "history.html", {"nav": "dashboard", "program": program, "chart": chart})


@router.get("/libraries", response_class=HTMLResponse)
def libraries_page(
    request: Request, principal: WebPrincipal, catalog: CatalogDep, session: SessionDep, uploaded: str = ""
) -> HTMLResponse:
    """Shipped libraries, and the person's institutions' own (their versions, downloads, the upload form)."""
    context = libraries_context(session, catalog, principal.user, uploaded=uploaded)
    return render(request, principal, "libraries.html", context)


@router.get("/libraries/{library_id}/{version}", response_class=HTMLResponse)
def library_page(
    request: Request,
    principal: WebPrincipal,
    library_id: str,
    version: str,
    catalog: CatalogDep,
    product: Annotated[str, Query()] = "",
    care_role: Annotated[str, Query()] = "",
    jurisdiction: Annotated[str, Query()] = "",
) -> HTMLResponse:
    library = catalog.get(library_id, version)
    if library is None:
        raise NotFound(f"library {library_id} {version} not found")
    items = library.items
    if product or care_role or jurisdiction:
        products = [product] if product else [p.id for p in library.products]
        roles = [care_role] if care_role else ["hub", "spoke"]
        places = [jurisdiction] if jurisdiction else library.jurisdictions
        keep = {i.id for role in roles for place in places for i in library.applicable_items(products, role, place)}
        items = [i for i in items if i.id in keep]
    context = {
        "nav": "libraries",
        "library": library,
        "items": items,
        "product_filter": product,
        "care_role": care_role,
        "jurisdiction": jurisdiction,
        "jurisdiction_labels": JURISDICTION_LABELS,
        "overdue_reviews": library.overdue_reviews(today()),
    }
    return render(request, principal, "library.html", context)
