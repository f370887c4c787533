"""Readiness per area and overall, and the first-patient gate, aggregated in SQL: a constant number of
queries whatever the number of items or programs."""

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlmodel import Session, col

from app.checklists.schema import Criticality
from app.clock import today
from app.programs.models import ItemStatus, Program, ProgramItem
from app.programs.schemas import AreaReadiness, BlockingItem, Gate, Readiness
from app.programs.service import complete_condition, get_program, lapsed_condition, overdue_condition


def _ratio(done: int, total: int) -> float:
    return round(done / total, 4) if total else 1.0


def _blocking_reason(status: str, lapsed: bool) -> str:
    if lapsed:
        return "sign-off lapsed: renewal or evidence expired"
    if status == ItemStatus.DONE:
        return "done, awaiting sign-off"
    return f"blocker not signed off ({status.replace('_', ' ')})"


def blocking_condition() -> ColumnElement[bool]:
    """The items keeping the first-patient gate closed: the one definition the gate and the blockers filter share."""
    return and_(
        ~col(ProgramItem.retired),
        col(ProgramItem.criticality) == Criticality.BLOCKER,
        col(ProgramItem.status) != ItemStatus.NOT_APPLICABLE,
        ~complete_condition(),
    )


def readiness(session: Session, program_id: uuid.UUID) -> Readiness:
    """Weighted completion per area and overall; not-applicable and retired items count for nothing."""
    program = get_program(session, program_id)
    return readiness_of_programs(session, [program])[program.id]


def readiness_of_programs(session: Session, programs: Sequence[Program]) -> dict[uuid.UUID, Readiness]:
    """Readiness of several programs (a dashboard) in two aggregate queries, however many programs."""
    ids = [p.id for p in programs]
    counted = and_(col(ProgramItem.status) != ItemStatus.NOT_APPLICABLE, ~col(ProgramItem.retired))
    weight = col(ProgramItem.weight)
    rows = session.execute(
        select(
            col(ProgramItem.program_id),
            col(ProgramItem.area),
            col(ProgramItem.status),
            func.count(),
            func.sum(case((counted, weight), else_=0)),
            func.sum(case((and_(counted, complete_condition()), weight), else_=0)),
            func.sum(case((overdue_condition(), 1), else_=0)),
            func.sum(case((lapsed_condition(), 1), else_=0)),
        )
        .where(col(ProgramItem.program_id).in_(ids), ~col(ProgramItem.retired))
        .group_by(col(ProgramItem.program_id), col(ProgramItem.area), col(ProgramItem.status))
    ).all()
    # Only the columns a blocking entry shows: whole entities would parse every item's JSON columns and cost
    # most of a 20-program dashboard's time (bench/bench_scale.py).
    blockers = session.execute(
        select(
            col(ProgramItem.program_id),
            col(ProgramItem.key),
            col(ProgramItem.title),
            col(ProgramItem.area),
            col(ProgramItem.status),
            col(ProgramItem.owner_id),
            col(ProgramItem.due_date),
            lapsed_condition().label("lapsed"),
        )
        .where(col(ProgramItem.program_id).in_(ids), blocking_condition())
        .order_by(col(ProgramItem.position))
    ).all()
    totals: dict[tuple[uuid.UUID, str], dict[str, int]] = {}
    by_status: dict[tuple[uuid.UUID, str], dict[str, int]] = {}
    for program_id, area, status, count, total_weight, done_weight, overdue, lapsed in rows:
        key = (program_id, area)
        area_totals = totals.setdefault(key, {"items": 0, "total": 0, "done": 0, "overdue": 0, "lapsed": 0})
        area_totals["items"] += count
        area_totals["total"] += int(total_weight or 0)
        area_totals["done"] += int(done_weight or 0)
        area_totals["overdue"] += int(overdue or 0)
        area_totals["lapsed"] += int(lapsed or 0)
        by_status.setdefault(key, {})[status] = count
    blocking: dict[uuid.UUID, list[BlockingItem]] = {program_id: [] for program_id in ids}
    for item in blockers:
        blocking[item.program_id].append(
            BlockingItem(
                key=item.key,
                title=item.title,
                area=item.area,
                status=item.status,
                owner_id=item.owner_id,
                due_date=item.due_date,
                reason=_blocking_reason(item.status, bool(item.lapsed)),
            )
        )
    return {p.id: _summary(p, totals, by_status, blocking[p.id]) for p in programs}


def _summary(
    program: Program,
    totals: dict[tuple[uuid.UUID, str], dict[str, int]],
    by_status: dict[tuple[uuid.UUID, str], dict[str, int]],
    blocking: list[BlockingItem],
) -> Readiness:
    areas = [
        AreaReadiness(
            id=area["id"],
            title=area["title"],
            completed_weight=t["done"],
            total_weight=t["total"],
            ratio=_ratio(t["done"], t["total"]),
            items=t["items"],
            by_status=by_status.get((program.id, area["id"]), {}),
            overdue=t["overdue"],
            lapsed=t["lapsed"],
        )
        for area in program.areas
        if (t := totals.get((program.id, area["id"]))) is not None
    ]
    done, total = sum(a.completed_weight for a in areas), sum(a.total_weight for a in areas)
    return Readiness(
        program_id=program.id,
        as_of=today(),
        overall_ratio=_ratio(done, total),
        completed_weight=done,
        total_weight=total,
        areas=areas,
        gate=Gate(open=not blocking, blocking=blocking),
        overdue=sum(a.overdue for a in areas),
        lapsed=sum(a.lapsed for a in areas),
    )
