"""The "Programs at <institution>" section: every program of one institution side by side, and the resources they
share counted once.

A report goes to a committee of the institution, which decides for all its programs, so the section lists every
program of the report's institution (and never another institution's). The shared-resource figures are the
dashboard's own (`capacities_of`), so a report and the dashboard cannot disagree."""

import uuid

from sqlmodel import Session

from app.capacity.schemas import InstitutionCapacity, ResourceLoad
from app.capacity.service import capacities_of
from app.checklists.loader import Catalog
from app.institution_libraries.catalog import institution_catalog
from app.programs.readiness import readiness_of_programs
from app.programs.service import programs_of
from app.reports.schemas import InstitutionProgramRow, InstitutionProgramsSection, SharedResourceRow


def _resource_row(load: ResourceLoad) -> SharedResourceRow:
    """The first plan year over capacity if there is one (what a committee must act on), else the busiest year."""
    shown = (load.periods[load.first_over_period - 1] if load.first_over_period
             else max(load.periods, key=lambda period: period.demand))
    return SharedResourceRow(
        resource=load.resource.value.replace("_", " "), period=shown.period,
        by_program=sorted(shown.by_program.items()), total=shown.demand, capacity=load.capacity,
        capacity_source=load.capacity_source, over=shown.over,
        over_periods=[period.period for period in load.periods if period.over],
    )


def institution_programs_section(
    session: Session, catalog: Catalog, institution_id: uuid.UUID
) -> InstitutionProgramsSection | None:
    """The institution's programs with readiness, gate and planned patients, and the shared-resource view."""
    rows = programs_of(session, [institution_id])
    if not rows:
        return None
    institution = rows[0][0]
    programs = [program for _, program in rows]
    readiness = readiness_of_programs(session, programs)
    view: InstitutionCapacity = capacities_of(session, programs)[institution_id]
    planned = {demand.program_id: demand.planned_patients for demand in view.programs}
    # The institution's own uploads are read only when a program uses one (shipped ids are never an upload's).
    shipped = all(catalog.versions(program.library_id) for program in programs)
    libraries = catalog if shipped else institution_catalog(session, catalog, institution_id)
    listed = []
    for program in programs:
        library = libraries.get(program.library_id, program.library_version)
        names = {product.id: product.name for product in library.products} if library else {}
        summary = readiness[program.id]
        listed.append(InstitutionProgramRow(
            program_id=program.id, title=program.title, library=f"{program.library_id} {program.library_version}",
            care_role=program.care_role, products=[names.get(p, p) for p in program.products],
            overall_ratio=summary.overall_ratio, gate_open=summary.gate.open, blockers=len(summary.gate.blocking),
            planned_patients=planned.get(program.id),
        ))
    return InstitutionProgramsSection(
        institution=institution.name, period=view.period, programs=listed,
        programs_without_scenario=view.programs_without_scenario,
        resources=[_resource_row(load) for load in view.resources],
    )
