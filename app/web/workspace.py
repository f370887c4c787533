"""Web pages for opening programs, reports and the user's own account. The same services as the API."""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import col

from app.auth.models import Membership
from app.auth.roles import Role
from app.auth.service import create_api_token, list_api_tokens, revoke_api_token, roles_in
from app.checklists.router import CatalogDep
from app.checklists.schema import JURISDICTION_LABELS
from app.db import SessionDep
from app.errors import DomainError, Invalid, NotFound
from app.institution_libraries.catalog import institution_catalog
from app.programs import service
from app.programs.access import PROGRAM_MANAGERS, program_for
from app.programs.models import Institution
from app.programs.schemas import ProgramCreate
from app.reports.jobs import active_jobs, enqueue_report_job, job_for, run_report_job
from app.reports.models import ReportJob
from app.reports.schemas import ReportJobState, ReportKind
from app.reports.service import list_reports
from app.web.confirm import confirm_page
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)


def _managed_institutions(session: SessionDep, principal: WebPrincipal) -> list[Institution]:
    query = select(Institution).order_by(col(Institution.name))
    if not principal.user.is_superuser:
        managed = select(col(Membership.institution_id)).where(
            col(Membership.user_id) == principal.user.id,
            col(Membership.role).in_([r.value for r in PROGRAM_MANAGERS]),
        )
        query = query.where(col(Institution.id).in_(managed))
    return list(session.scalars(query))


def _new_program_page(
    request: Request, principal: WebPrincipal, session: SessionDep, catalog: CatalogDep,
    form: dict[str, Any], errors: dict[str, str], status_code: int = 200,
) -> HTMLResponse:
    institutions = _managed_institutions(session, principal)
    for institution in institutions:  # their own (uploaded) libraries besides the shipped ones
        catalog = institution_catalog(session, catalog, institution.id)
    libraries = [catalog.latest(lib.id) for lib in catalog.all()]
    unique = list({lib.id: lib for lib in libraries if lib}.values())
    products = {p.id: p for lib in unique for p in lib.products}
    jurisdictions = list(dict.fromkeys(j for lib in unique for j in lib.jurisdictions))
    context = {"institutions": institutions, "libraries": unique,
               "products": list(products.values()), "jurisdictions": jurisdictions,
               "jurisdiction_labels": JURISDICTION_LABELS, "form": form, "errors": errors}
    return render(request, principal, "new_program.html", context, status_code=status_code)


@router.get("/programs/new", response_class=HTMLResponse)
def new_program_page(
    request: Request, principal: WebPrincipal, session: SessionDep, catalog: CatalogDep
) -> HTMLResponse:
    form = {"institution_id": "", "title": "", "library_id": "", "products": [], "care_role": "hub",
            "jurisdiction": "us"}
    return _new_program_page(request, principal, session, catalog, form, {})


@router.post("/programs/new", response_class=HTMLResponse)
def create_program(
    request: Request,
    principal: WebPrincipal,
    session: SessionDep,
    catalog: CatalogDep,
    institution_id: Annotated[str, Form()],
    title: Annotated[str, Form()] = "",
    library_id: Annotated[str, Form()] = "",
    products: Annotated[list[str] | None, Form()] = None,
    care_role: Annotated[str, Form()] = "hub",
    jurisdiction: Annotated[str, Form()] = "us",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    form = {"institution_id": institution_id, "title": title, "library_id": library_id,
            "products": products or [], "care_role": care_role, "jurisdiction": jurisdiction}
    try:
        managed = {str(i.id) for i in _managed_institutions(session, principal)}
        if institution_id not in managed:
            raise Invalid("choose an institution where you are a champion or administrator", field="institution_id")
        data = ProgramCreate.model_validate({"title": title, "library_id": library_id, "products": products or [],
                                             "care_role": care_role, "jurisdiction": jurisdiction})
        program = service.create_program(session, catalog, uuid.UUID(institution_id), data, actor=principal.user)
    except ValidationError as error:
        errors = {str(e["loc"][0]): e["msg"] for e in error.errors()}
        return _new_program_page(request, principal, session, catalog, form, errors, status_code=422)
    except Invalid as error:
        return _new_program_page(request, principal, session, catalog, form, {error.field: error.detail}, 422)
    return RedirectResponse(f"/programs/{program.id}", status_code=303)


def _reports_page(
    request: Request, principal: WebPrincipal, session: SessionDep, program_id: uuid.UUID,
    message: dict[str, str] | None = None, job_id: uuid.UUID | None = None, status_code: int = 200,
) -> HTMLResponse:
    program = program_for(session, principal.user, program_id)
    held = roles_in(session, principal.user, program.institution_id)
    can_generate = principal.user.is_superuser or bool(held & PROGRAM_MANAGERS)
    # The job this person just asked for (whatever its state), then any other still in progress.
    jobs = active_jobs(session, program_id)
    if job_id is not None:
        shown = _program_job(session, principal, program_id, job_id)
        jobs = [shown, *[j for j in jobs if j.id != shown.id]]
    context = {
        "program": program, "reports": list_reports(session, program_id), "can_generate": can_generate,
        "message": message, "jobs": jobs,
        "can_finalise": principal.user.is_superuser or Role.CHAMPION in held,
    }
    return render(request, principal, "reports.html", context, status_code=status_code)


def _program_job(session: SessionDep, principal: WebPrincipal, program_id: uuid.UUID, job_id: uuid.UUID) -> ReportJob:
    job = job_for(session, principal.user, job_id)
    if job.program_id != program_id:
        raise NotFound("report job not found")
    return job


@router.get("/programs/{program_id}/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, session: SessionDep,
    job: Annotated[uuid.UUID | None, Query()] = None, verify: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    if verify.strip():  # the verify form this page used to carry, kept for bookmarks: /verify answers now
        return RedirectResponse(f"/verify?{urlencode({'q': verify.strip()})}", status_code=303)
    return _reports_page(request, principal, session, program_id, job_id=job)


@router.get("/programs/{program_id}/report-jobs/{job_id}", response_class=HTMLResponse)
def report_job_panel(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, job_id: uuid.UUID, session: SessionDep
) -> Response:
    """The progress panel htmx polls every second; without JavaScript, the whole reports page showing it."""
    job = _program_job(session, principal, program_id, job_id)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/programs/{program_id}/reports?job={job.id}", status_code=303)
    program = program_for(session, principal.user, program_id)
    held = roles_in(session, principal.user, program.institution_id)
    context = {"program": program, "job": job, "panel_only": True,
               "can_generate": principal.user.is_superuser or bool(held & PROGRAM_MANAGERS),
               "can_finalise": principal.user.is_superuser or Role.CHAMPION in held}
    if job.state == ReportJobState.DONE:  # the list below the panel gets the new report too
        context["reports"] = list_reports(session, program_id)
    return render(request, principal, "_report_job.html", context)


@router.post("/programs/{program_id}/reports", response_class=HTMLResponse)
def generate(
    request: Request,
    principal: WebPrincipal,
    program_id: uuid.UUID,
    session: SessionDep,
    catalog: CatalogDep,
    background: BackgroundTasks,
    kind: Annotated[ReportKind, Form()] = ReportKind.FULL,
    prepared_for: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Queue the report and answer at once: the page shows its progress, then the download."""
    principal.check_csrf(csrf_token)
    try:
        program = program_for(session, principal.user, program_id, PROGRAM_MANAGERS)
        job = enqueue_report_job(session, principal.user, program, kind,
                                 prepared_for.replace("\x00", "").strip() or "Program steering committee")
    except DomainError as error:
        message = {"kind": "error", "text": error.detail}
        return _reports_page(request, principal, session, program_id, message, status_code=error.status_code)
    background.add_task(run_report_job, request.app.state.engine, catalog, job.id)
    return RedirectResponse(f"/programs/{program_id}/reports?job={job.id}", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, principal: WebPrincipal, session: SessionDep) -> HTMLResponse:
    context = {"tokens": list_api_tokens(session, principal.user), "new_token": None, "nav": "account"}
    return render(request, principal, "account.html", context)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request, principal: WebPrincipal, session: SessionDep,
    name: Annotated[str, Form(min_length=1, max_length=100)], csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    principal.check_csrf(csrf_token)
    record, plain = create_api_token(session, principal.user, name.replace("\x00", "").strip() or "token")
    context = {"tokens": list_api_tokens(session, principal.user), "nav": "account",
               "new_token": {"name": record.name, "token": plain}}
    return render(request, principal, "account.html", context, status_code=201)


@router.get("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def confirm_revoke_token(
    request: Request, principal: WebPrincipal, session: SessionDep, token_id: uuid.UUID
) -> HTMLResponse:
    token = next((t for t in list_api_tokens(session, principal.user) if t.id == token_id), None)
    if token is None:
        raise NotFound("token not found")
    return confirm_page(
        request, principal, question=f"Revoke the API token “{token.name}”?",
        detail="Scripts and integrations that use it stop working at once. This cannot be undone.",
        button="Revoke token", cancel="/account", nav="account",
    )


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    principal: WebPrincipal, session: SessionDep, token_id: uuid.UUID, csrf_token: Annotated[str, Form()] = ""
) -> RedirectResponse:
    principal.check_csrf(csrf_token)
    revoke_api_token(session, principal.user, token_id)
    return RedirectResponse("/account", status_code=303)
