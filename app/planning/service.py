"""Save, list, run and delete planning scenarios; the latest results feed reports and readiness views."""

import uuid

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.auth.roles import Role
from app.clock import utcnow
from app.errors import NotFound
from app.followup.model import run_capacity_model
from app.followup.schemas import CapacityInputs, CapacityResult
from app.planning.models import PlanningScenario
from app.planning.schemas import ScenarioKind, ScenarioRead, ScenarioRun
from app.programs.models import Program
from app.risk.model import expected_loss_per_patient, risk_level, run_reimbursement_model
from app.risk.schemas import ReimbursementInputs, ReimbursementResult

EDITORS = {
    ScenarioKind.REIMBURSEMENT: {Role.CHAMPION, Role.ADMINISTRATOR, Role.FINANCE_LEAD},
    ScenarioKind.CAPACITY: {Role.CHAMPION, Role.ADMINISTRATOR, Role.FOLLOWUP_COORDINATOR},
}


def read(scenario: PlanningScenario) -> ScenarioRead:
    return ScenarioRead.model_validate(scenario, from_attributes=True)


def save_scenario(
    session: Session, actor: User, program: Program, kind: ScenarioKind, name: str, inputs: BaseModel,
    scenario: PlanningScenario | None = None,
) -> PlanningScenario:
    """Create a scenario, or replace the name and inputs of an existing one; audited."""
    before = {"name": scenario.name, "inputs": scenario.inputs} if scenario else {}
    scenario = scenario or PlanningScenario(program_id=program.id, kind=kind.value, name=name, inputs={},
                                            created_by_name=actor.full_name)
    scenario.name, scenario.inputs, scenario.updated_at = name, inputs.model_dump(mode="json"), utcnow()
    session.add(scenario)
    session.flush()
    record_event(
        session, actor, "scenario.updated" if before else "scenario.created", entity="scenario",
        entity_key=f"{kind.value}:{name}"[:100], institution_id=program.institution_id, program_id=program.id,
        before=before, after={"name": name, "inputs": scenario.inputs},
    )
    session.commit()
    return scenario


def get_scenario(session: Session, scenario_id: uuid.UUID) -> PlanningScenario:
    scenario = session.get(PlanningScenario, scenario_id)
    if scenario is None:
        raise NotFound("scenario not found")
    return scenario


def list_scenarios(session: Session, program_id: uuid.UUID) -> list[PlanningScenario]:
    query = select(PlanningScenario).where(col(PlanningScenario.program_id) == program_id)
    return list(session.scalars(query.order_by(col(PlanningScenario.updated_at).desc())))


def delete_scenario(session: Session, actor: User, program: Program, scenario: PlanningScenario) -> None:
    session.delete(scenario)
    record_event(
        session, actor, "scenario.deleted", entity="scenario", entity_key=f"{scenario.kind}:{scenario.name}"[:100],
        institution_id=program.institution_id, program_id=program.id, before={"inputs": scenario.inputs},
    )
    session.commit()


def run_scenario(scenario: PlanningScenario) -> ScenarioRun:
    if scenario.kind == ScenarioKind.REIMBURSEMENT:
        result = run_reimbursement_model(ReimbursementInputs.model_validate(scenario.inputs))
        return ScenarioRun(scenario=read(scenario), reimbursement=result)
    capacity = run_capacity_model(CapacityInputs.model_validate(scenario.inputs))
    return ScenarioRun(scenario=read(scenario), capacity=capacity)


def latest_results(
    session: Session, program_id: uuid.UUID
) -> tuple[tuple[ScenarioRead, ReimbursementResult] | None, tuple[ScenarioRead, CapacityResult] | None]:
    """The most recently saved scenario of each kind, run: what reports and readiness views show."""
    reimbursement = capacity = None
    for scenario in list_scenarios(session, program_id):
        if scenario.kind == ScenarioKind.REIMBURSEMENT and reimbursement is None:
            run = run_scenario(scenario)
            assert run.reimbursement is not None  # noqa: S101
            reimbursement = (run.scenario, run.reimbursement)
        elif scenario.kind == ScenarioKind.CAPACITY and capacity is None:
            run = run_scenario(scenario)
            assert run.capacity is not None  # noqa: S101
            capacity = (run.scenario, run.capacity)
    return reimbursement, capacity


class PlanningStatus(BaseModel):
    """What the payer and follow-up areas' readiness views show from the latest scenarios."""

    reimbursement_scenario: str | None = None
    reimbursement_risk: str | None = None  # low | moderate | high
    expected_loss_per_patient: float | None = None
    capacity_scenario: str | None = None
    capacity_holds: bool | None = None
    first_shortfall_year: int | None = None


def planning_status(session: Session, program_id: uuid.UUID) -> PlanningStatus:
    """Cheap enough for every dashboard: the closed-form expectation (no simulation) and the capacity model."""
    status = PlanningStatus()
    for scenario in list_scenarios(session, program_id):
        if scenario.kind == ScenarioKind.REIMBURSEMENT and status.reimbursement_scenario is None:
            inputs = ReimbursementInputs.model_validate(scenario.inputs)
            per_patient = expected_loss_per_patient(inputs)
            patients = sum(p.patients_per_year for p in inputs.products)
            mean_cost = (sum(p.acquisition_cost * p.patients_per_year for p in inputs.products) / patients
                         if patients else 1.0)
            status.reimbursement_scenario = scenario.name
            status.reimbursement_risk = risk_level(inputs, per_patient / mean_cost)
            status.expected_loss_per_patient = round(per_patient, 2)
        elif scenario.kind == ScenarioKind.CAPACITY and status.capacity_scenario is None:
            result = run_capacity_model(CapacityInputs.model_validate(scenario.inputs))
            status.capacity_scenario = scenario.name
            status.capacity_holds = result.capacity_holds
            status.first_shortfall_year = result.first_shortfall_year
    return status
