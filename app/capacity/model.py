"""Shared resources counted once: the demand of several programs against one institution capacity.

Each program brings its demand per period for each resource; the institution has one capacity per resource
(one set of infusion chairs, one apheresis unit, one transplant unit). Per period the demands are added and
compared with that capacity; programs that need the resource in the same period are named as competing.
"""

from collections.abc import Mapping, Sequence

from app.capacity.schemas import PeriodLoad, ProgramDemand, ResourceLoad
from app.followup.schemas import ResourceKind

METHOD_NOTE = __doc__ or ""
EPSILON = 1e-9


def display_names(demands: Sequence[ProgramDemand]) -> dict[object, str]:
    """Each program's name in the per-program figures: its title, with the start of its id where two programs
    share a title (two programs titled alike are still two competitors, not one)."""
    titles = [program.program_title for program in demands]
    return {
        program.program_id: program.program_title if titles.count(program.program_title) == 1
        else f"{program.program_title} ({str(program.program_id)[:8]})"
        for program in demands
    }


def combine(
    demands: Sequence[ProgramDemand], capacity: Mapping[ResourceKind, float | None],
    sources: Mapping[ResourceKind, str] | None = None,
) -> list[ResourceLoad]:
    """Per resource and period: combined demand, capacity, whether it is exceeded and who competes."""
    names = display_names(demands)
    loads = []
    for kind in ResourceKind:
        length = max((len(program.demand.get(kind, [])) for program in demands), default=0)
        limit = capacity.get(kind)
        periods = []
        for index in range(length):
            by_program: dict[str, float] = {}
            for program in demands:
                series = program.demand.get(kind, [])
                value = series[index] if index < len(series) else 0.0
                if value > EPSILON:
                    by_program[names[program.program_id]] = round(value, 2)
            total = sum(by_program.values())
            periods.append(PeriodLoad(
                period=index + 1, demand=round(total, 2), capacity=limit,
                over=limit is not None and total > limit + EPSILON, by_program=by_program,
                competing=sorted(by_program) if len(by_program) > 1 else [],
            ))
        if not any(period.demand for period in periods):
            continue
        loads.append(ResourceLoad(
            resource=kind, capacity=limit,
            capacity_source=(sources or {}).get(kind, "given" if limit is not None else "not stated"),
            periods=periods, first_over_period=next((p.period for p in periods if p.over), None),
            peak_demand=max(p.demand for p in periods),
        ))
    return loads
