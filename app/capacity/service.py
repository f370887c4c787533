"""The institution-wide capacity view: each program's latest capacity scenario, one capacity per resource."""

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from app.capacity.model import combine
from app.capacity.schemas import InstitutionCapacity, ProgramDemand
from app.followup.model import resource_demand
from app.followup.schemas import CapacityInputs, ResourceKind
from app.planning.models import PlanningScenario
from app.planning.schemas import ScenarioKind
from app.planning.service import UnreadableScenario, parsed_inputs
from app.programs.models import Program
from app.programs.service import get_institution


def _latest_capacity(
    session: Session, programs: Sequence[Program],
) -> dict[uuid.UUID, tuple[PlanningScenario, CapacityInputs]]:
    """Each program's most recently saved capacity scenario the model can read; one query for all programs."""
    query = (select(PlanningScenario)
             .where(col(PlanningScenario.program_id).in_([program.id for program in programs]))
             .where(col(PlanningScenario.kind) == ScenarioKind.CAPACITY.value)
             .order_by(col(PlanningScenario.updated_at).desc()))
    latest: dict[uuid.UUID, tuple[PlanningScenario, CapacityInputs]] = {}
    for scenario in session.scalars(query):
        if scenario.program_id in latest:
            continue
        try:
            inputs = parsed_inputs(scenario)
        except UnreadableScenario:
            continue
        if isinstance(inputs, CapacityInputs):
            latest[scenario.program_id] = (scenario, inputs)
    return latest


def _view(
    institution_id: uuid.UUID, programs: Sequence[Program],
    latest: Mapping[uuid.UUID, tuple[PlanningScenario, CapacityInputs]], given: Mapping[ResourceKind, float] | None,
) -> InstitutionCapacity:
    demands, missing, stated = [], [], []
    for program in programs:
        if program.id not in latest:
            missing.append(program.title)
            continue
        scenario, inputs = latest[program.id]
        demands.append(ProgramDemand(program_id=program.id, program_title=program.title,
                                     scenario_name=scenario.name, demand=dict(resource_demand(inputs)),
                                     planned_patients=sum(sum(plan.patients_per_year) for plan in inputs.products)))
        stated.append((scenario.updated_at, scenario.name, program.title, inputs))
    capacity: dict[ResourceKind, float | None] = {}
    sources: dict[ResourceKind, str] = {}
    for kind in ResourceKind:
        if given and kind in given:
            capacity[kind], sources[kind] = given[kind], "given with the request"
            continue
        for _, name, title, inputs in sorted(stated, key=lambda row: row[0], reverse=True):
            value = inputs.capacity_of(kind)
            if value is not None:
                capacity[kind], sources[kind] = float(value), f"scenario '{name}' of {title}"
                break
        else:
            capacity[kind], sources[kind] = None, "not stated by any scenario"
    return InstitutionCapacity(
        institution_id=institution_id, period="plan year", programs=demands, programs_without_scenario=missing,
        resources=combine(demands, capacity, sources),
    )


def institution_capacity(
    session: Session, institution_id: uuid.UUID, given: Mapping[ResourceKind, float] | None = None,
) -> InstitutionCapacity:
    """Every program's demand from its latest capacity scenario against the institution's capacity.

    A capacity given by the caller wins; otherwise the one stated by the most recently saved scenario that states
    it (the resource is the institution's, so one value counts for all programs; the source says whose it is).
    """
    get_institution(session, institution_id)
    programs = session.scalars(select(Program).where(col(Program.institution_id) == institution_id)
                               .order_by(col(Program.created_at))).all()
    return _view(institution_id, programs, _latest_capacity(session, programs), given)


def capacities_of(session: Session, programs: Sequence[Program]) -> dict[uuid.UUID, InstitutionCapacity]:
    """The view for every institution these programs belong to, in a fixed number of queries (the dashboard)."""
    latest = _latest_capacity(session, programs) if programs else {}
    by_institution: dict[uuid.UUID, list[Program]] = {}
    for program in programs:
        by_institution.setdefault(program.institution_id, []).append(program)
    return {institution_id: _view(institution_id, listed, latest, None)
            for institution_id, listed in by_institution.items()}
