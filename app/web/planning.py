"""Planning pages: a program's reimbursement and follow-up capacity scenarios, edited in forms and run.

The same services and schemas as the planning API; forms post and pages reload.
"""

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from app.auth.deps import Principal
from app.auth.service import roles_in
from app.db import SessionDep
from app.errors import NotFound
from app.followup.model import METHOD_NOTE as CAPACITY_METHOD
from app.planning import service
from app.planning.defaults import default_capacity_inputs, default_reimbursement_inputs
from app.planning.models import PlanningScenario
from app.planning.schemas import ScenarioKind, ScenarioRun
from app.planning.service import UnreadableScenario
from app.programs.access import program_for
from app.programs.models import Program
from app.reports.charts import capacity_chart, cash_outstanding_chart
from app.risk.model import METHOD_NOTE as REIMBURSEMENT_METHOD
from app.risk.schemas import PayerName
from app.web import planning_form
from app.web.confirm import confirm_page
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)

KIND_TITLES = {ScenarioKind.REIMBURSEMENT: "Payer reimbursement exposure",
               ScenarioKind.CAPACITY: "15-year follow-up capacity"}
METHODS = {ScenarioKind.REIMBURSEMENT: REIMBURSEMENT_METHOD, ScenarioKind.CAPACITY: CAPACITY_METHOD}


async def posted_form(request: Request) -> dict[str, str]:
    """Every text field of a posted form, by name (the scenario form's names are its schema paths)."""
    form = await request.form()
    return {name: value.replace("\x00", "") for name, value in form.multi_items() if isinstance(value, str)}


PostedForm = Annotated[dict[str, str], Depends(posted_form)]


def _editable_kinds(session: SessionDep, principal: Principal, program: Program) -> set[ScenarioKind]:
    """The scenario kinds this person may edit in the program (the API's rule), from one look at their roles."""
    user = principal.user
    if user.is_superuser:
        return set(ScenarioKind)
    held = roles_in(session, user, program.institution_id)
    return {kind for kind, editors in service.EDITORS.items() if held & editors}


def _scenario_of(session: SessionDep, program: Program, scenario_id: uuid.UUID) -> PlanningScenario:
    scenario = service.get_scenario(session, scenario_id)
    if scenario.program_id != program.id:
        raise NotFound("scenario not found")
    return scenario


def _kind_of(scenario: PlanningScenario) -> ScenarioKind:
    """The scenario's model; a kind no model has cannot be shown as a form (the list page offers its deletion)."""
    if scenario.kind not in set(ScenarioKind):
        raise UnreadableScenario(f"this scenario is invalid: unknown scenario kind {str(scenario.kind)[:40]!r}")
    return ScenarioKind(scenario.kind)


def _charts(run: ScenarioRun | None) -> Markup | None:
    if run and run.reimbursement:
        series = [(p.month, p.expected, p.worst_case) for p in run.reimbursement.cash_outstanding]
        return cash_outstanding_chart(series)
    if run and run.capacity:
        years = [(y.year, y.patients_in_follow_up, y.visits_needed, y.visits_available) for y in run.capacity.years]
        return capacity_chart(years)
    return None


def _scenario_page(
    request: Request, principal: Principal, session: SessionDep, program: Program, kind: ScenarioKind, *,
    form: dict[str, str], scenario: PlanningScenario | None = None, errors: dict[str, str] | None = None,
    run: ScenarioRun | None = None, message: dict[str, str] | None = None, status_code: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    errors = errors or {}
    products = planning_form.row_indices(form, "products.")
    context: dict[str, Any] = {
        "program": program, "scenario": scenario, "kind": kind.value, "kind_title": KIND_TITLES[kind],
        "method": METHODS[kind], "form": form, "errors": errors,
        "error_summary": [(name, planning_form.field_label(name), text) for name, text in errors.items()],
        "can_edit": kind in _editable_kinds(session, principal, program), "run": run, "chart": _charts(run),
        "message": message, "problem": problem, "products": products, "payers": [p.value for p in PayerName],
        "schedule_rows": {i: planning_form.blank_schedule_rows(form, i) for i in products},
    }
    return render(request, principal, "planning_scenario.html", context, status_code=status_code)


@router.get("/programs/{program_id}/planning", response_class=HTMLResponse)
def planning_page(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, session: SessionDep,
    deleted: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    program = program_for(session, principal.user, program_id)
    scenarios = service.list_scenarios(session, program_id)
    editable = _editable_kinds(session, principal, program)
    context = {
        "program": program,
        "scenarios": scenarios,
        "problems": {s.id: service.problem_of(s) for s in scenarios},
        "kind_titles": {k.value: title for k, title in KIND_TITLES.items()},
        "can_create": {k.value: k in editable for k in ScenarioKind},
        "message": {"kind": "ok", "text": f"Scenario “{deleted}” deleted."} if deleted else None,
    }
    return render(request, principal, "planning.html", context)


def _defaults(program: Program, kind: ScenarioKind) -> dict[str, str]:
    inputs = (default_reimbursement_inputs(program.products) if kind == ScenarioKind.REIMBURSEMENT
              else default_capacity_inputs(program.products))
    return {"name": f"Base case ({KIND_TITLES[kind].lower()})"} | planning_form.flatten(inputs.model_dump(mode="json"))


@router.get("/programs/{program_id}/planning/new/{kind}", response_class=HTMLResponse)
def new_scenario_page(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, kind: ScenarioKind, session: SessionDep
) -> HTMLResponse:
    program = program_for(session, principal.user, program_id, service.EDITORS[kind])
    return _scenario_page(request, principal, session, program, kind, form=_defaults(program, kind))


def _save(
    request: Request, principal: Principal, session: SessionDep, program: Program, kind: ScenarioKind,
    form: dict[str, str], scenario: PlanningScenario | None = None,
) -> Response:
    principal.check_csrf(form.get("csrf_token"))
    program_for(session, principal.user, program.id, service.EDITORS[kind])
    body, errors = planning_form.validate(kind, form)
    if body is None:
        return _scenario_page(request, principal, session, program, kind, form=form, scenario=scenario,
                              errors=errors, status_code=422)
    saved = service.save_scenario(session, principal.user, program, kind, body.name, body.inputs, scenario)
    then = "&run=1#results" if form.get("action") == "run" else ""
    return RedirectResponse(f"/programs/{program.id}/planning/{saved.id}?saved=1{then}", status_code=303)


@router.post("/programs/{program_id}/planning/new/{kind}", response_class=HTMLResponse)
def create_scenario(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, kind: ScenarioKind, session: SessionDep,
    form: PostedForm,
) -> Response:
    program = program_for(session, principal.user, program_id)
    return _save(request, principal, session, program, kind, form)


@router.get("/programs/{program_id}/planning/{scenario_id}", response_class=HTMLResponse)
def scenario_page(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, scenario_id: uuid.UUID, session: SessionDep,
    run: Annotated[bool, Query()] = False, saved: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    program = program_for(session, principal.user, program_id)
    scenario = _scenario_of(session, program, scenario_id)
    kind = _kind_of(scenario)
    message = {"kind": "ok", "text": "Scenario saved."} if saved else None
    problem = service.problem_of(scenario)
    inputs = scenario.inputs if isinstance(scenario.inputs, dict) else {}
    return _scenario_page(request, principal, session, program, kind, scenario=scenario,
                          form={"name": scenario.name} | planning_form.flatten(inputs), problem=problem,
                          run=service.run_scenario(scenario) if run and problem is None else None, message=message)


@router.post("/programs/{program_id}/planning/{scenario_id}", response_class=HTMLResponse)
def update_scenario(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, scenario_id: uuid.UUID, session: SessionDep,
    form: PostedForm,
) -> Response:
    program = program_for(session, principal.user, program_id)
    scenario = _scenario_of(session, program, scenario_id)
    return _save(request, principal, session, program, _kind_of(scenario), form, scenario)


@router.get("/programs/{program_id}/planning/{scenario_id}/delete", response_class=HTMLResponse)
def confirm_delete_scenario(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, scenario_id: uuid.UUID, session: SessionDep,
) -> HTMLResponse:
    program = program_for(session, principal.user, program_id)
    scenario = _scenario_of(session, program, scenario_id)
    program_for(session, principal.user, program_id, service.editors_of(scenario.kind))
    return confirm_page(
        request, principal, question=f"Delete the scenario “{scenario.name}”?",
        detail="Its inputs and results are deleted; reports already generated keep what they showed.",
        button="Delete scenario", cancel=f"/programs/{program_id}/planning/{scenario_id}", nav="planning",
    )


@router.post("/programs/{program_id}/planning/{scenario_id}/delete")
def delete_scenario(
    principal: WebPrincipal, program_id: uuid.UUID, scenario_id: uuid.UUID, session: SessionDep, form: PostedForm,
) -> RedirectResponse:
    principal.check_csrf(form.get("csrf_token"))
    program = program_for(session, principal.user, program_id)
    scenario = _scenario_of(session, program, scenario_id)
    program_for(session, principal.user, program_id, service.editors_of(scenario.kind))
    name = scenario.name
    service.delete_scenario(session, principal.user, program, scenario)
    return RedirectResponse(f"/programs/{program_id}/planning?{urlencode({'deleted': name})}", status_code=303)
