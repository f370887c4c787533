"""Program and item pages. Forms post and pages reload; htmx, when present, swaps just the changed row."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.auth.deps import Principal
from app.auth.directory import people_of
from app.auth.service import roles_in
from app.checklists.router import CatalogDep
from app.checklists.schema import JURISDICTION_LABELS
from app.db import SessionDep
from app.errors import Conflict, Invalid
from app.evidence.service import item_evidence
from app.institution_libraries.catalog import institution_catalog
from app.pagination import PageParams
from app.programs import projection as projection_service
from app.programs import service
from app.programs.access import item_for_change, may_change_item, program_for
from app.programs.models import Program, ProgramItem
from app.programs.schemas import ItemFilters, ItemRead, ItemUpdate
from app.signoffs.chains import missing_committees, step_states
from app.signoffs.eligibility import chain_signers, next_to_sign, sign_off_eligibility
from app.signoffs.service import signoff_records
from app.web import program_table
from app.web.session import WebPrincipal, render
from app.web.timeline import first_patient_timeline

router = APIRouter(include_in_schema=False)
ALL_ITEMS = PageParams(limit=500, offset=0)


def _blank_to_none(value: str | None) -> str | None:
    return value if value else None


def _program_context(
    session: SessionDep, catalog: CatalogDep, principal: Principal, program_id: uuid.UUID
) -> dict[str, Any]:
    program = program_for(session, principal.user, program_id)
    catalog = institution_catalog(session, catalog, program.institution_id, program.library_id)
    library = catalog.get(program.library_id, program.library_version)
    products = {p.id: p.name for p in library.products} if library else {}
    return {
        "program": program,
        "institution": service.get_institution(session, program.institution_id),
        "product_names": [products.get(p, p) for p in program.products],
        "jurisdiction_label": JURISDICTION_LABELS.get(program.jurisdiction, program.jurisdiction),
        "product_warnings": service.program_warnings(catalog, program),
        "missing_committees": missing_committees(session, program),
        "people": people_of(session, program.institution_id),
    }


@router.get("/programs/{program_id}", response_class=HTMLResponse)
def program_page(
    request: Request,
    principal: WebPrincipal,
    program_id: uuid.UUID,
    session: SessionDep,
    catalog: CatalogDep,
    saved: Annotated[str, Query()] = "",
) -> HTMLResponse:
    """The compact item table (search, chips, sort, pages) under readiness and the gate. Searching with htmx
    answers just the table."""
    context = _program_context(session, catalog, principal, program_id)
    program = context["program"]
    query, ignored = program_table.table_query(request.query_params)
    context |= program_table.table_context(session, program, query, principal.user)
    if request.headers.get("hx-target") == "item-table":
        return render(request, principal, "_item_table.html", context)
    context |= _projection_context(session, program) | program_table.live_context(session, program)
    message = {"kind": "ok", "text": f"Saved {saved}."} if saved else None
    if ignored:
        message = {"kind": "error", "text": "Ignored what the address asked for " + ", ".join(ignored) + "."}
    context |= {
        "message": message,
        "can_manage": principal.user.is_superuser
        or bool(program_table.my_roles(session, principal.user, program) & {"champion", "administrator"}),
    }
    return render(request, principal, "program.html", context)


def _projection_context(session: SessionDep, program: Program) -> dict[str, Any]:
    """The projection and its timeline; a program whose stored items form a cycle shows why instead of failing."""
    try:
        projection = projection_service.first_patient_projection(session, program)
    except Conflict as error:
        return {"projection": None, "projection_timeline": None, "projection_problem": error.detail}
    return {"projection": projection, "projection_timeline": first_patient_timeline(projection),
            "projection_problem": None}


@router.get("/programs/{program_id}/items/{key}", response_class=HTMLResponse)
def item_page(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, key: str, session: SessionDep,
    catalog: CatalogDep, saved: Annotated[bool, Query()] = False, done: Annotated[str, Query()] = "",
) -> HTMLResponse:
    program_for(session, principal.user, program_id)
    item = service.read_item(session, program_id, key)
    outcomes = {"evidence": "Evidence uploaded.", "signed": "Signed off.", "revoked": "Sign-off revoked.",
                "local_added": "Local item added.", "local_retired": "Local item retired."}
    text = "Saved." if saved else outcomes.get(done)
    message = {"kind": "ok", "text": text} if text else None
    next_up = next_to_sign(session, principal.user, exclude=item.id) if done == "signed" else None
    return item_page_response(request, principal, session, catalog, item, form=_form_of(item), message=message,
                              next_up=next_up)


def _form_of(item: ItemRead) -> dict[str, Any]:
    return {
        "status": item.status,
        "owner_id": str(item.owner_id) if item.owner_id else "",
        "due_date": item.due_date.isoformat() if item.due_date else "",
        "notes": item.notes,
        "na_justification": item.na_justification or "",
    }


def item_page_response(
    request: Request,
    principal: Principal,
    session: SessionDep,
    catalog: CatalogDep,
    item: ItemRead,
    *,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    message: dict[str, str] | None = None,
    status_code: int = 200,
    sign_form: dict[str, str] | None = None,
    next_up: tuple[Program, ProgramItem] | None = None,
) -> HTMLResponse:
    context = _program_context(session, catalog, principal, item.program_id)
    program = context["program"]
    dependencies, _ = service.list_items(session, program.id, ItemFilters(), ALL_ITEMS)
    my_roles = {r.value for r in roles_in(session, principal.user, program.institution_id)}
    chain = step_states(session, program.institution_id, item.id, item.approval_chain)
    next_step = next((s for s in chain if s.state == "next"), None)
    stored = service.get_item(session, program.id, item.key)
    eligibility = sign_off_eligibility(session, principal.user, program, stored)
    context |= {
        "chain": chain,
        "chain_signers": {s.step: s for s in chain_signers(session, program, stored)},
        "next_step": next_step,
        "my_roles": my_roles,
        "can_change": may_change_item(principal.user, my_roles, item.signoff_role),
        "can_manage": principal.user.is_superuser or bool(my_roles & {"champion", "administrator"}),
        "can_sign": eligibility.allowed,
        "eligibility": eligibility,
        "next_up": next_up,
        "evidence": item_evidence(session, item.id),
        "signoffs": signoff_records(session, program.id, item.key),
        "sign_form": sign_form or {},
        "item": item,
        "area_title": next((a["title"] for a in program.areas if a["id"] == item.area), item.area),
        "dependencies": [d for d in dependencies if d.key in item.depends_on],
        "form": form,
        "errors": errors or {},
        "message": message,
    }
    return render(request, principal, "item.html", context, status_code=status_code)


@router.post("/programs/{program_id}/items/{key}", response_class=HTMLResponse)
def save_item(
    request: Request,
    principal: WebPrincipal,
    program_id: uuid.UUID,
    key: str,
    session: SessionDep,
    catalog: CatalogDep,
    version: Annotated[int, Form()],
    csrf_token: Annotated[str, Form()] = "",
    status: Annotated[str | None, Form()] = None,
    owner_id: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    notes: Annotated[str | None, Form()] = None,
    na_justification: Annotated[str | None, Form()] = None,
    return_to: Annotated[str, Form()] = "row",
) -> Response:
    principal.check_csrf(csrf_token)
    item_for_change(session, principal.user, program_id, key)
    typed = {"status": status, "owner_id": owner_id, "due_date": due_date, "notes": notes,
             "na_justification": na_justification}
    fields: dict[str, Any] = {"owner_id": _blank_to_none(owner_id), "due_date": _blank_to_none(due_date)}
    if status:
        fields["status"] = status
    if notes is not None:
        fields["notes"] = notes
    if na_justification:
        fields["na_justification"] = na_justification
    errors: dict[str, str] = {}
    message: dict[str, str] | None = None
    status_code = 200
    try:
        update = ItemUpdate.model_validate(fields)
        item, _ = service.update_item(session, program_id, key, update, version, actor=principal.user)
    except ValidationError as error:
        errors = {str(e["loc"][0]): e["msg"] for e in error.errors()}
        item, status_code = service.read_item(session, program_id, key), 422
    except Invalid as error:
        errors = {error.field: error.detail}
        item, status_code = service.read_item(session, program_id, key), 422
    except Conflict as error:
        item, status_code = service.read_item(session, program_id, key), 409
        message = {"kind": "error", "text": f"{error.detail} Your change was not saved; the current values are shown."}
    else:
        if return_to == "page":
            return RedirectResponse(f"/programs/{program_id}/items/{key}?saved=1", status_code=303)
        if "hx-request" not in request.headers:
            return RedirectResponse(f"/programs/{program_id}?saved={key}#item-{key}", status_code=303)
        message = {"kind": "ok", "text": "Saved."}

    if errors:
        message = {"kind": "error", "text": "; ".join(f"{f.replace('_', ' ')}: {m}" for f, m in errors.items())}
    if return_to == "page" or "hx-request" not in request.headers:
        form = _form_of(item) if status_code == 409 else typed
        return item_page_response(request, principal, session, catalog, item, form=form, errors=errors, message=message,
                          status_code=status_code)
    context = _program_context(session, catalog, principal, program_id) | {"item": item, "row_message": message}
    program = context["program"]
    context |= program_table.live_context(session, program)
    context["may_change"] = program_table.may_change(session, principal.user, program)
    # htmx swaps only 2xx by default; a conflict or error row is still the answer the user needs to see. Readiness,
    # the gate and the counts come along out of band, so the page shows the state this change made.
    return render(request, principal, "_item_row_live.html", context, headers={"X-Outcome": str(status_code)})


@router.post("/programs/{program_id}/bulk", response_class=HTMLResponse)
async def bulk_edit_items(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, session: SessionDep, catalog: CatalogDep,
) -> Response:
    """Set owner, due date or status on the ticked rows (or all matching the filter); each row's outcome is listed."""
    form = await request.form()
    principal.check_csrf(str(form.get("csrf_token", "")))
    context = _program_context(session, catalog, principal, program_id)
    program = context["program"]
    fields = {name: str(form.get(name, "")) for name in program_table.QUERY_FIELDS}
    result, problem = program_table.run_bulk_form(
        session, program, principal.user, fields,
        keys=[str(k) for k in form.getlist("keys")], seen=[str(s) for s in form.getlist("seen")],
        all_matching=form.get("all_matching") == "1", owner=str(form.get("set_owner", "")),
        due_date=str(form.get("set_due_date", "")), clear_due=form.get("clear_due") == "1",
        status=str(form.get("set_status", "")),
    )
    context |= {"result": result, "problem": problem, "back": program_table.table_url(
        program.id, program_table.table_query(fields)[0])}
    status_code = 422 if problem else 200
    if "hx-request" not in request.headers:
        return render(request, principal, "bulk_result.html", context, status_code=status_code)
    query, _ = program_table.table_query(fields)
    context |= program_table.live_context(session, program)
    context |= program_table.table_context(session, program, query, principal.user)
    return render(request, principal, "_bulk_result.html", context, headers={"X-Outcome": str(status_code)})
