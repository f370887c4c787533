"""The institution-wide capacity view: each program's latest capacity scenario, one capacity per resource."""

import uuid
from collections.abc import Mapping

from sqlalchemy import select
from sqlmodel import Session, col

from app.capacity.model import combine
from app.capacity.schemas import InstitutionCapacity, ProgramDemand
from app.followup.model import resource_demand
from app.followup.schemas import ResourceKind
from app.planning.service import latest_capacity_inputs
from app.programs.models import Program
from app.programs.service import get_institution


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
    demands, missing, stated = [], [], []
    for program in programs:
        latest = latest_capacity_inputs(session, program.id)
        if latest is None:
            missing.append(program.title)
            continue
        scenario, inputs = latest
        demands.append(ProgramDemand(program_id=program.id, program_title=program.title,
                                     scenario_name=scenario.name, demand=dict(resource_demand(inputs))))
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
