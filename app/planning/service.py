"""Save, list, run and delete planning scenarios; the latest results feed reports and readiness views."""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.auth.roles import Role
from app.clock import utcnow
from app.errors import Conflict, NotFound, json_safe
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


EVERY_KIND_EDITORS = set.intersection(*EDITORS.values())  # who may clear away a scenario of an unknown kind
logger = logging.getLogger("gtready")


def editors_of(kind: str) -> set[Role]:
    """Who may change or delete a stored scenario of this kind (an unreadable kind: who may edit every kind)."""
    return EDITORS[ScenarioKind(kind)] if kind in set(ScenarioKind) else EVERY_KIND_EDITORS
INPUTS: dict[ScenarioKind, type[ReimbursementInputs] | type[CapacityInputs]] = {
    ScenarioKind.REIMBURSEMENT: ReimbursementInputs,
    ScenarioKind.CAPACITY: CapacityInputs,
}


class UnreadableScenario(Conflict):
    """A stored scenario whose kind or inputs the models cannot take (written by an older version or by hand)."""


def _problem_text(error: ValidationError) -> str:
    parts = []
    for detail in error.errors()[:3]:
        where = ".".join(str(part) for part in detail["loc"]) or "inputs"
        parts.append(f"{where}: {str(detail['msg']).removeprefix('Value error, ')}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def parsed_inputs(scenario: PlanningScenario) -> ReimbursementInputs | CapacityInputs:
    """The stored inputs as the model's schema; UnreadableScenario saying why if they are not."""
    try:
        kind = ScenarioKind(scenario.kind)
    except ValueError:
        raise UnreadableScenario(f"unknown scenario kind {str(scenario.kind)[:40]!r}") from None
    if not isinstance(scenario.inputs, dict):
        raise UnreadableScenario("the stored inputs are not an object")
    try:
        return INPUTS[kind].model_validate(scenario.inputs)
    except ValidationError as error:
        raise UnreadableScenario(f"the stored inputs are not valid: {_problem_text(error)}") from None


def problem_of(scenario: PlanningScenario) -> str | None:
    """Why this scenario cannot be run, or None if it can."""
    try:
        parsed_inputs(scenario)
    except UnreadableScenario as problem:
        return problem.detail
    return None


def read(scenario: PlanningScenario) -> ScenarioRead:
    problem = problem_of(scenario)
    inputs: Any = scenario.inputs if isinstance(scenario.inputs, dict) else {}
    return ScenarioRead(
        id=scenario.id, program_id=scenario.program_id, kind=str(scenario.kind), name=scenario.name,
        inputs=json_safe(inputs) if problem else inputs, created_by_name=scenario.created_by_name,
        created_at=scenario.created_at, updated_at=scenario.updated_at, valid=problem is None, problem=problem,
    )


def save_scenario(
    session: Session, actor: User, program: Program, kind: ScenarioKind, name: str, inputs: BaseModel,
    scenario: PlanningScenario | None = None,
) -> PlanningScenario:
    """Create a scenario, or replace the name and inputs of an existing one; audited.

    A scenario keeps its kind: inputs of the other model would make it unreadable for every page that shows it.
    """
    if scenario is not None and scenario.kind != kind.value:
        raise Conflict(f"this is a {scenario.kind} scenario; it cannot take {kind.value} inputs",
                       kind=str(scenario.kind))
    before = {"name": scenario.name, "inputs": scenario.inputs} if scenario else {}
    scenario = scenario or PlanningScenario(program_id=program.id, kind=kind.value, name=name, inputs={},
                                            created_by_name=actor.full_name)
    scenario.name, scenario.inputs, scenario.updated_at = name, inputs.model_dump(mode="json"), utcnow()
    session.add(scenario)
    with _gone_if_deleted(session):
        session.flush()
        record_event(
            session, actor, "scenario.updated" if before else "scenario.created", entity="scenario",
            entity_key=f"{kind.value}:{name}"[:100], institution_id=program.institution_id, program_id=program.id,
            before=before, after={"name": name, "inputs": scenario.inputs},
        )
        session.commit()
    return scenario


@contextmanager
def _gone_if_deleted(session: Session) -> Iterator[None]:
    """A scenario deleted by someone else between our read and our write: 404, as if we had come a moment later.

    Our UPDATE or DELETE then matches no row, which SQLAlchemy reports as StaleDataError.
    """
    try:
        yield
    except StaleDataError:
        session.rollback()
        raise NotFound("scenario not found") from None


def get_scenario(session: Session, scenario_id: uuid.UUID) -> PlanningScenario:
    scenario = session.get(PlanningScenario, scenario_id)
    if scenario is None:
        raise NotFound("scenario not found")
    return scenario


def list_scenarios(session: Session, program_id: uuid.UUID) -> list[PlanningScenario]:
    query = select(PlanningScenario).where(col(PlanningScenario.program_id) == program_id)
    return list(session.scalars(query.order_by(col(PlanningScenario.updated_at).desc())))


def delete_scenario(session: Session, actor: User, program: Program, scenario: PlanningScenario) -> None:
    """Delete and audit; 404 if someone else deleted it first (one deletion, one audit event)."""
    removed = session.execute(delete(PlanningScenario).where(col(PlanningScenario.id) == scenario.id))
    if not getattr(removed, "rowcount", 0):
        session.rollback()
        raise NotFound("scenario not found")
    with _gone_if_deleted(session):
        record_event(
            session, actor, "scenario.deleted", entity="scenario",
            entity_key=f"{scenario.kind}:{scenario.name}"[:100], institution_id=program.institution_id,
            program_id=program.id, before={"inputs": json_safe(scenario.inputs)},
        )
        session.commit()


def run_scenario(scenario: PlanningScenario) -> ScenarioRun:
    """Run a stored scenario; UnreadableScenario (409, saying why) if the model cannot take what is stored."""
    inputs = parsed_inputs(scenario)
    try:
        if isinstance(inputs, ReimbursementInputs):
            return ScenarioRun(scenario=read(scenario), reimbursement=run_reimbursement_model(inputs))
        return ScenarioRun(scenario=read(scenario), capacity=run_capacity_model(inputs))
    except (ArithmeticError, ValueError, MemoryError) as error:  # a bound the schemas missed: say so, not 500
        logger.exception("scenario model failed", extra={"fields": {"scenario_id": str(scenario.id)}})
        raise UnreadableScenario(f"the model cannot run these inputs ({type(error).__name__})") from None


def _latest_of_each_kind(session: Session, program_id: uuid.UUID) -> dict[ScenarioKind, PlanningScenario]:
    latest: dict[ScenarioKind, PlanningScenario] = {}
    for scenario in list_scenarios(session, program_id):  # most recently saved first
        if scenario.kind in set(ScenarioKind):
            latest.setdefault(ScenarioKind(scenario.kind), scenario)
    return latest


class LatestResults(BaseModel):
    """The latest scenario of each kind, run; one that cannot be run is named with its problem instead."""

    reimbursement: tuple[ScenarioRead, ReimbursementResult] | None = None
    capacity: tuple[ScenarioRead, CapacityResult] | None = None
    unreadable: list[ScenarioRead] = []


def latest_results(session: Session, program_id: uuid.UUID) -> LatestResults:
    """The most recently saved scenario of each kind, run: what reports and readiness views show."""
    results = LatestResults()
    for scenario in _latest_of_each_kind(session, program_id).values():
        try:
            run = run_scenario(scenario)
        except UnreadableScenario as problem:
            results.unreadable.append(read(scenario).model_copy(update={"valid": False, "problem": problem.detail}))
            continue
        if run.reimbursement is not None:
            results.reimbursement = (run.scenario, run.reimbursement)
        elif run.capacity is not None:
            results.capacity = (run.scenario, run.capacity)
    return results


class PlanningStatus(BaseModel):
    """What the payer and follow-up areas' readiness views show from the latest scenarios."""

    reimbursement_scenario: str | None = None
    reimbursement_risk: str | None = None  # low | moderate | high
    expected_loss_per_patient: float | None = None
    reimbursement_problem: str | None = None  # why the latest reimbursement scenario cannot be run
    capacity_scenario: str | None = None
    capacity_holds: bool | None = None
    first_shortfall_year: int | None = None
    capacity_problem: str | None = None


def planning_status(session: Session, program_id: uuid.UUID) -> PlanningStatus:
    """Cheap enough for every dashboard: the closed-form expectation (no simulation) and the capacity model.

    A scenario that cannot be read is reported with its problem; it never takes the readiness view down.
    """
    status = PlanningStatus()
    for kind, scenario in _latest_of_each_kind(session, program_id).items():
        try:
            inputs = parsed_inputs(scenario)
            if isinstance(inputs, ReimbursementInputs):
                per_patient = expected_loss_per_patient(inputs)
                patients = sum(p.patients_per_year for p in inputs.products)
                mean_cost = (sum(p.acquisition_cost * p.patients_per_year for p in inputs.products) / patients
                             if patients else 1.0)
                status.reimbursement_risk = risk_level(inputs, per_patient / mean_cost)
                status.expected_loss_per_patient = round(per_patient, 2)
            else:
                result = run_capacity_model(inputs)
                status.capacity_holds = result.capacity_holds
                status.first_shortfall_year = result.first_shortfall_year
        except UnreadableScenario as problem:
            setattr(status, f"{kind.value}_problem", problem.detail)
        except (ArithmeticError, ValueError) as error:
            logger.exception("scenario model failed", extra={"fields": {"scenario_id": str(scenario.id)}})
            setattr(status, f"{kind.value}_problem", f"the model cannot run these inputs ({type(error).__name__})")
        setattr(status, f"{kind.value}_scenario", scenario.name)
    return status

