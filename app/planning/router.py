"""Planning scenarios over HTTP: payer reimbursement exposure and 15-year follow-up capacity."""

import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from app.auth.deps import CurrentUser
from app.db import SessionDep
from app.followup.model import METHOD_NOTE as CAPACITY_METHOD
from app.planning import service
from app.planning.defaults import default_capacity_inputs, default_reimbursement_inputs
from app.planning.models import PlanningScenario
from app.planning.schemas import (
    CapacityScenarioBody,
    ReimbursementScenarioBody,
    ScenarioKind,
    ScenarioRead,
    ScenarioRun,
)
from app.programs.access import program_for
from app.programs.models import Program
from app.risk.model import METHOD_NOTE as REIMBURSEMENT_METHOD

router = APIRouter(prefix="/api", tags=["planning"])


class PlanningDefaults(BaseModel):
    reimbursement: dict[str, Any]
    capacity: dict[str, Any]
    methods: dict[str, str]


@router.get("/programs/{program_id}/scenarios/defaults", response_model=PlanningDefaults)
def defaults(program_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PlanningDefaults:
    """Starting inputs for this program's products, with the method notes of both models."""
    program = program_for(session, user, program_id)
    return PlanningDefaults(
        reimbursement=default_reimbursement_inputs(program.products).model_dump(mode="json"),
        capacity=default_capacity_inputs(program.products).model_dump(mode="json"),
        methods={"reimbursement": REIMBURSEMENT_METHOD, "capacity": CAPACITY_METHOD},
    )


@router.get("/programs/{program_id}/scenarios", response_model=list[ScenarioRead])
def list_scenarios(program_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[ScenarioRead]:
    program_for(session, user, program_id)
    return [service.read(s) for s in service.list_scenarios(session, program_id)]


def _create(
    session: SessionDep, user: CurrentUser, program_id: uuid.UUID, kind: ScenarioKind, name: str, inputs: BaseModel
) -> ScenarioRead:
    program = program_for(session, user, program_id, service.EDITORS[kind])
    return service.read(service.save_scenario(session, user, program, kind, name, inputs))


@router.post("/programs/{program_id}/scenarios/reimbursement", status_code=status.HTTP_201_CREATED,
             response_model=ScenarioRead)
def create_reimbursement(
    program_id: uuid.UUID, body: ReimbursementScenarioBody, user: CurrentUser, session: SessionDep
) -> ScenarioRead:
    """Save a reimbursement exposure scenario (champion, administrator or finance lead)."""
    return _create(session, user, program_id, ScenarioKind.REIMBURSEMENT, body.name, body.inputs)


@router.post("/programs/{program_id}/scenarios/capacity", status_code=status.HTTP_201_CREATED,
             response_model=ScenarioRead)
def create_capacity(
    program_id: uuid.UUID, body: CapacityScenarioBody, user: CurrentUser, session: SessionDep
) -> ScenarioRead:
    """Save a follow-up capacity scenario (champion, administrator or follow-up coordinator)."""
    return _create(session, user, program_id, ScenarioKind.CAPACITY, body.name, body.inputs)


def _editable(session: SessionDep, user: CurrentUser, scenario_id: uuid.UUID) -> tuple[Program, PlanningScenario]:
    scenario = service.get_scenario(session, scenario_id)
    program = program_for(session, user, scenario.program_id)
    program_for(session, user, scenario.program_id, service.editors_of(scenario.kind))
    return program, scenario


@router.get("/scenarios/{scenario_id}", response_model=ScenarioRead)
def read_scenario(scenario_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ScenarioRead:
    scenario = service.get_scenario(session, scenario_id)
    program_for(session, user, scenario.program_id)
    return service.read(scenario)


@router.put("/scenarios/{scenario_id}/reimbursement", response_model=ScenarioRead,
            responses={409: {"description": "The scenario is of the other kind"}})
def update_reimbursement(
    scenario_id: uuid.UUID, body: ReimbursementScenarioBody, user: CurrentUser, session: SessionDep
) -> ScenarioRead:
    program, scenario = _editable(session, user, scenario_id)
    kind = ScenarioKind.REIMBURSEMENT
    return service.read(service.save_scenario(session, user, program, kind, body.name, body.inputs, scenario))


@router.put("/scenarios/{scenario_id}/capacity", response_model=ScenarioRead,
            responses={409: {"description": "The scenario is of the other kind"}})
def update_capacity(
    scenario_id: uuid.UUID, body: CapacityScenarioBody, user: CurrentUser, session: SessionDep
) -> ScenarioRead:
    program, scenario = _editable(session, user, scenario_id)
    kind = ScenarioKind.CAPACITY
    return service.read(service.save_scenario(session, user, program, kind, body.name, body.inputs, scenario))


@router.delete("/scenarios/{scenario_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete(scenario_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    program, scenario = _editable(session, user, scenario_id)
    service.delete_scenario(session, user, program, scenario)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/scenarios/{scenario_id}/run", response_model=ScenarioRun,
             responses={409: {"description": "The stored inputs cannot be run (see `problem` on the scenario)"}})
def run(scenario_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ScenarioRun:
    """Run a saved scenario; the same inputs and seed always give the same numbers (409 if it cannot be run)."""
    scenario = service.get_scenario(session, scenario_id)
    program_for(session, user, scenario.program_id)
    return service.run_scenario(scenario)
