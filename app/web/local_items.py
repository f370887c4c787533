"""Pages to add, edit and retire a program's local items: the same services as /api/programs/{id}/local-items."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.auth.deps import Principal
from app.auth.directory import people_of
from app.auth.roles import SIGNING_ROLES
from app.checklists.schema import EVIDENCE_KINDS, Phase
from app.db import SessionDep
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.pagination import PageParams
from app.programs import local_items, service
from app.programs.access import PROGRAM_MANAGERS, program_for
from app.programs.models import Program
from app.programs.schemas import ItemFilters, ItemRead, LocalItemCreate, LocalItemUpdate
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)

PHASE_LABELS = {Phase.PRE_DOSE.value: "Before the first dose", Phase.POST_DOSE.value: "After dosing (follow-up)",
                Phase.BOTH.value: "Both"}
EVERY_ITEM = PageParams(limit=1000, offset=0)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _keys(text: str) -> list[str]:
    return [key.strip().upper() for key in text.replace(",", " ").split() if key.strip()]


def _form_of(item: ItemRead | None) -> dict[str, Any]:
    if item is None:
        return {"area": "", "title": "", "done_when": "", "why": "", "references": "", "signoff_role": "",
                "criticality": "major", "weight": "", "evidence_kinds": [], "renewal_months": "", "depends_on": "",
                "phase": Phase.BOTH.value, "owner_id": "", "due_date": "", "reason": ""}
    return {
        "area": item.area, "title": item.title, "done_when": item.done_when, "why": item.why,
        "references": "\n".join(item.references), "signoff_role": item.signoff_role,
        "criticality": item.criticality, "weight": str(item.weight), "evidence_kinds": item.evidence_kinds,
        "renewal_months": str(item.renewal_months or ""), "depends_on": ", ".join(item.depends_on),
        "phase": item.phase or Phase.BOTH.value, "owner_id": "", "due_date": "", "reason": "",
    }


def _page(
    request: Request, principal: Principal, session: SessionDep, program: Program, *, item: ItemRead | None,
    form: dict[str, Any], errors: dict[str, str] | None = None, message: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    current, _ = service.list_items(session, program.id, ItemFilters(), EVERY_ITEM)
    context = {
        "program": program, "item": item, "form": form, "errors": errors or {}, "message": message,
        "people": people_of(session, program.institution_id),
        "roles": sorted(role.value for role in SIGNING_ROLES), "evidence_kinds": EVIDENCE_KINDS,
        "phases": PHASE_LABELS, "known_items": [i for i in current if item is None or i.key != item.key],
    }
    return render(request, principal, "local_item_form.html", context, status_code=status_code)


def _errors_of(error: ValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else "form"
        found.setdefault(field, detail["msg"].removeprefix("Value error, "))
    return found


def _summary(errors: dict[str, str]) -> dict[str, str]:
    listed = "; ".join(f"{field.replace('_', ' ')}: {text}" for field, text in errors.items())
    return {"kind": "error", "text": f"The item was not saved. {listed}"}


def _fields(
    area: str, title: str, done_when: str, why: str, references: str, signoff_role: str, criticality: str,
    weight: str, evidence_kinds: list[str], renewal_months: str, depends_on: str, phase: str,
) -> dict[str, Any]:
    return {
        "area": area, "title": title, "done_when": done_when, "why": why, "references": _lines(references),
        "signoff_role": signoff_role, "criticality": criticality, "weight": weight.strip() or None,
        "evidence_kinds": evidence_kinds, "renewal_months": renewal_months.strip() or None,
        "depends_on": _keys(depends_on), "phase": phase or Phase.BOTH.value,
    }


@router.get("/programs/{program_id}/local-items/new", response_class=HTMLResponse)
def new_local_item_page(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, session: SessionDep,
) -> HTMLResponse:
    program = program_for(session, principal.user, program_id, PROGRAM_MANAGERS)
    return _page(request, principal, session, program, item=None, form=_form_of(None))


@router.post("/programs/{program_id}/local-items", response_class=HTMLResponse)
def add_local_item(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, session: SessionDep,
    csrf_token: Annotated[str, Form()] = "", area: Annotated[str, Form()] = "", title: Annotated[str, Form()] = "",
    done_when: Annotated[str, Form()] = "", why: Annotated[str, Form()] = "",
    references: Annotated[str, Form()] = "", signoff_role: Annotated[str, Form()] = "",
    criticality: Annotated[str, Form()] = "", weight: Annotated[str, Form()] = "",
    evidence_kinds: Annotated[list[str] | None, Form()] = None, renewal_months: Annotated[str, Form()] = "",
    depends_on: Annotated[str, Form()] = "", phase: Annotated[str, Form()] = "",
    owner_id: Annotated[str, Form()] = "", due_date: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    program = program_for(session, principal.user, program_id, PROGRAM_MANAGERS)
    typed = {"area": area, "title": title, "done_when": done_when, "why": why, "references": references,
             "signoff_role": signoff_role, "criticality": criticality, "weight": weight,
             "evidence_kinds": evidence_kinds or [], "renewal_months": renewal_months, "depends_on": depends_on,
             "phase": phase, "owner_id": owner_id, "due_date": due_date, "reason": ""}
    fields = _fields(area, title, done_when, why, references, signoff_role, criticality, weight,
                     evidence_kinds or [], renewal_months, depends_on, phase)
    fields |= {"owner_id": owner_id or None, "due_date": due_date or None}
    try:
        data = LocalItemCreate.model_validate(fields)
        item = local_items.create_local_item(session, program.id, data, actor=principal.user)
    except ValidationError as error:
        errors = _errors_of(error)
    except Invalid as error:
        errors = {error.field: error.detail}
    except DomainError as error:
        return _page(request, principal, session, program, item=None, form=typed,
                     message={"kind": "error", "text": error.detail}, status_code=error.status_code)
    else:
        return RedirectResponse(f"/programs/{program_id}/items/{item.key}?done=local_added", status_code=303)
    return _page(request, principal, session, program, item=None, form=typed, errors=errors,
                 message=_summary(errors), status_code=422)


def _local(session: SessionDep, program: Program, key: str) -> ItemRead:
    item = service.read_item(session, program.id, key)
    if not item.local:
        raise NotFound(f"item {key} is a library item, not a local one: its definition comes from the library")
    return item


@router.get("/programs/{program_id}/local-items/{key}/edit", response_class=HTMLResponse)
def edit_local_item_page(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, key: str, session: SessionDep,
) -> HTMLResponse:
    program = program_for(session, principal.user, program_id, PROGRAM_MANAGERS)
    item = _local(session, program, key)
    return _page(request, principal, session, program, item=item, form=_form_of(item))


@router.post("/programs/{program_id}/local-items/{key}/edit", response_class=HTMLResponse)
def save_local_item(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, key: str, session: SessionDep,
    version: Annotated[int, Form()], csrf_token: Annotated[str, Form()] = "",
    area: Annotated[str, Form()] = "", title: Annotated[str, Form()] = "",
    done_when: Annotated[str, Form()] = "", why: Annotated[str, Form()] = "",
    references: Annotated[str, Form()] = "", signoff_role: Annotated[str, Form()] = "",
    criticality: Annotated[str, Form()] = "", weight: Annotated[str, Form()] = "",
    evidence_kinds: Annotated[list[str] | None, Form()] = None, renewal_months: Annotated[str, Form()] = "",
    depends_on: Annotated[str, Form()] = "", phase: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    program = program_for(session, principal.user, program_id, PROGRAM_MANAGERS)
    item = _local(session, program, key)
    typed = {"area": area, "title": title, "done_when": done_when, "why": why, "references": references,
             "signoff_role": signoff_role, "criticality": criticality, "weight": weight,
             "evidence_kinds": evidence_kinds or [], "renewal_months": renewal_months, "depends_on": depends_on,
             "phase": phase, "owner_id": "", "due_date": "", "reason": ""}
    fields = _fields(area, title, done_when, why, references, signoff_role, criticality, weight,
                     evidence_kinds or [], renewal_months, depends_on, phase)
    try:
        data = LocalItemUpdate.model_validate(fields)
        local_items.update_local_item(session, program.id, key, data, version, actor=principal.user)
    except ValidationError as error:
        errors = _errors_of(error)
    except Invalid as error:
        errors = {error.field: error.detail}
    except Conflict as error:
        fresh = _local(session, program, key)
        text = f"{error.detail} Your change was not saved; the current values are shown."
        return _page(request, principal, session, program, item=fresh, form=_form_of(fresh),
                     message={"kind": "error", "text": text}, status_code=409)
    else:
        return RedirectResponse(f"/programs/{program_id}/items/{key}?saved=1", status_code=303)
    return _page(request, principal, session, program, item=item, form=typed, errors=errors,
                 message=_summary(errors), status_code=422)


@router.post("/programs/{program_id}/local-items/{key}/retire", response_class=HTMLResponse)
def retire_local_item(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, key: str, session: SessionDep,
    version: Annotated[int, Form()], csrf_token: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "", confirm: Annotated[str, Form()] = "",
) -> Response:
    """Retiring needs a reason and the confirmation box ticked: without JavaScript, no dialog can ask."""
    principal.check_csrf(csrf_token)
    program = program_for(session, principal.user, program_id, PROGRAM_MANAGERS)
    item = _local(session, program, key)
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = "say why the item is retired"
    if confirm != "yes":
        errors["confirm"] = "tick the box to confirm: a retired item cannot be brought back"
    if not errors:
        try:
            local_items.retire_local_item(session, program.id, key, reason.strip(), version, actor=principal.user)
        except Invalid as error:
            errors = {error.field: error.detail}
        except Conflict as error:
            fresh = _local(session, program, key)
            return _page(request, principal, session, program, item=fresh, form=_form_of(fresh),
                         message={"kind": "error", "text": f"Not retired: {error.detail}"}, status_code=409)
        else:
            return RedirectResponse(f"/programs/{program_id}/items/{key}?done=local_retired", status_code=303)
    form = _form_of(item) | {"reason": reason}
    return _page(request, principal, session, program, item=item, form=form, errors=errors,
                 message=_summary(errors), status_code=422)
