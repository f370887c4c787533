"""When can we dose the first patient? The projected date the first-patient gate opens, from the items' dependencies,
due dates and status, recomputed on every read (nothing stored that could go stale).

The rules, item by item (an item's dependencies are its library `depends_on` keys that the program has):

- Finished: signed off and not lapsed (its date is its sign-off date, or today if that is unknown), or not
  applicable. A finished item's dependencies no longer matter.
- Done but not signed, or signed off but lapsed: not finished, it still needs its signature; it finishes at
  max(today, its dependencies' finish) whatever its due date ("awaiting signature").
- Otherwise it finishes at max(its due date, its dependencies' finish): a dependency finishing after the item's due
  date makes the item slip by the difference. A due date in the past counts as today ("today at the earliest") and
  the item is flagged overdue. An item without a due date has no known finish, nor has anything depending on it:
  the projection names it as the reason the date is unknown.
- The gate waits on its open items (applicable blockers not finished, as in readiness). It opens on the latest
  finish among them, or is open today when there are none.
- The critical path starts at the gate item that finishes last (on a tie, the one with the longest chain of
  dependencies pushing it, then the first in item order) and follows, while a dependency finishes after the item's
  own date, the dependency that finishes last. Its last entry is the item
  whose own date sets the projection: the one that moved it past the target, when it is past.
- Slack of an open item the gate waits on: the days it can slip before the projected gate date moves, i.e. the
  latest finish it can have (the gate date for a gate item, and no later than the latest finish of any open item
  depending on it) minus its projected finish.

Dependency cycles are refused when a library loads; a stored program that has one anyway is refused here with the
cycle named, never looped over.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from graphlib import CycleError, TopologicalSorter
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.checklists.schema import Criticality
from app.clock import today, utcnow
from app.errors import Conflict
from app.formatting import format_date
from app.programs.models import ItemStatus, Program, ProgramItem
from app.programs.schemas import ProjectedItem, Projection, ProjectionReason


@dataclass(frozen=True)
class PlanItem:
    """What the projection needs of one item."""

    key: str
    title: str
    area: str
    criticality: str
    status: str
    due_date: date | None
    depends_on: tuple[str, ...]
    signed_on: date | None = None
    lapses_on: date | None = None


@dataclass
class _Finish:
    item: PlanItem
    finished: bool
    own: date | None  # the item's own date, before its dependencies; None: no due date
    finish: date | None  # None: unknown
    driver: str | None  # the dependency that pushed it past its own date
    overdue: bool
    awaiting_signature: bool


def _lapsed(item: PlanItem, on: date) -> bool:
    return item.lapses_on is not None and item.lapses_on <= on


def _is_finished(item: PlanItem, on: date) -> bool:
    if item.status == ItemStatus.NOT_APPLICABLE:
        return True
    return item.status == ItemStatus.SIGNED_OFF and not _lapsed(item, on)


def _dependency_order(items: dict[str, PlanItem]) -> list[str]:
    """Keys with every dependency before its dependents; a cycle is a Conflict naming it."""
    graph = {key: [d for d in item.depends_on if d in items] for key, item in items.items()}
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        cycle = " -> ".join(reversed(error.args[1]))
        raise Conflict(f"dependency cycle {cycle}: the projection cannot order these items",
                       reason="dependency_cycle") from error


def _finishes(items: dict[str, PlanItem], order: list[str], on: date) -> dict[str, _Finish]:
    result: dict[str, _Finish] = {}
    for key in order:
        item = items[key]
        if _is_finished(item, on):
            done_on = None if item.status == ItemStatus.NOT_APPLICABLE else (item.signed_on or on)
            result[key] = _Finish(item, True, done_on, done_on, None, False, False)
            continue
        awaiting = item.status == ItemStatus.DONE or _lapsed(item, on)
        overdue = not awaiting and item.due_date is not None and item.due_date < on
        own = on if awaiting else (max(item.due_date, on) if item.due_date is not None else None)
        open_deps = [result[d] for d in item.depends_on if d in result and not result[d].finished]
        finish, driver = own, None
        if any(d.finish is None for d in open_deps):
            finish = None
        elif finish is not None and open_deps:
            latest = max(open_deps, key=lambda d: d.finish or on)  # first of the latest, in depends_on order
            if latest.finish is not None and latest.finish > finish:
                finish, driver = latest.finish, latest.item.key
        result[key] = _Finish(item, False, own, finish, driver, overdue, awaiting)
    return result


def _waited_on(items: dict[str, PlanItem], finishes: dict[str, _Finish], gate: list[str]) -> set[str]:
    """Open gate items and every open item they wait on, directly or not."""
    needed: set[str] = set()
    stack = list(gate)
    while stack:
        key = stack.pop()
        if key in needed:
            continue
        needed.add(key)
        stack += [d for d in items[key].depends_on if d in finishes and not finishes[d].finished]
    return needed


def _slack(
    order: list[str], finishes: dict[str, _Finish], needed: set[str], gate: set[str], gate_date: date
) -> dict[str, int]:
    latest: dict[str, date] = {}
    for key in reversed(order):  # dependents before their dependencies
        if key not in needed:
            continue
        bound = gate_date if key in gate else date.max
        latest[key] = min(bound, latest.get(key, date.max))
        for dep in finishes[key].item.depends_on:
            if dep in needed:
                latest[dep] = min(latest.get(dep, date.max), latest[key])
    return {key: (latest[key] - (finishes[key].finish or gate_date)).days for key in needed}


def _driver_chain(finishes: dict[str, _Finish], key: str) -> list[str]:
    chain = [key]
    while (driver := finishes[chain[-1]].driver) is not None:
        chain.append(driver)
    return chain


def project(
    program_id: uuid.UUID, items: Sequence[PlanItem], on: date, target: date | None = None
) -> Projection:
    """The projection for items given in display order (pure: tests and benchmarks call it directly)."""
    by_key = {item.key: item for item in items}
    order = _dependency_order(by_key)
    finishes = _finishes(by_key, order, on)
    gate = [i.key for i in items if i.criticality == Criticality.BLOCKER and not finishes[i.key].finished]
    needed = _waited_on(by_key, finishes, gate)
    unknown = any(finishes[key].finish is None for key in gate)
    gate_date: date | None = on if not gate else (None if unknown else max(finishes[k].finish or on for k in gate))
    slack = _slack(order, finishes, needed, set(gate), gate_date) if gate_date is not None and gate else {}

    def projected(key: str) -> ProjectedItem:
        f = finishes[key]
        slipped = (f.finish - f.own).days if f.finish is not None and f.own is not None else 0
        return ProjectedItem(
            key=key, title=f.item.title, area=f.item.area, criticality=f.item.criticality, status=f.item.status,
            due_date=f.item.due_date, finish=f.finish, overdue=f.overdue, awaiting_signature=f.awaiting_signature,
            slipped_days=slipped, slack_days=slack.get(key), gate_item=key in gate,
        )

    path: list[str] = []
    if gate and gate_date is not None:
        chains = [_driver_chain(finishes, k) for k in gate if finishes[k].finish == gate_date]
        path = max(chains, key=len)  # the most downstream of the gate items that open last (first on a tie)
    reasons = [
        ProjectionReason(key=i.key, title=i.title, reason="no due date: set one to project the first-patient date")
        for i in items
        if i.key in needed and finishes[i.key].own is None
    ]
    slip = None  # no target, or no date to compare it with
    if target is not None and gate_date is not None:
        slip = max(0, (gate_date - target).days) if gate else 0  # an open gate has nothing left to slip
    moved_by = path[-1] if slip and path else None
    warning = None
    if slip and moved_by is not None:
        warning = (f"The projected first-patient date {format_date(gate_date)} is {slip} day{'s' if slip != 1 else ''} "
                   f"past the target {format_date(target)}, because of {moved_by} {by_key[moved_by].title}.")
    elif gate_date is None and target is not None:
        warning = "The first-patient date cannot be projected against the target: some items have no due date."
    return Projection(
        program_id=program_id, as_of=on, gate_open=not gate, projected_date=gate_date, reasons=reasons,
        critical_path=[projected(k) for k in path], items=[projected(i.key) for i in items if i.key in needed],
        target=target, slip_days=slip, moved_by=moved_by, warning=warning,
    )


def plan_items_of(rows: Iterable[Any]) -> list[PlanItem]:
    """Plan items from rows that carry the item columns (query rows, or `ItemRead`s a caller already loaded)."""
    return [
        PlanItem(
            key=r.key, title=r.title, area=r.area, criticality=r.criticality, status=r.status, due_date=r.due_date,
            depends_on=tuple(r.depends_on or ()), lapses_on=r.lapses_on,
            signed_on=r.completed_at.date() if r.completed_at is not None and r.status == ItemStatus.SIGNED_OFF
            else None,
        )
        for r in rows
        if not r.retired
    ]


def plan_items(session: Session, program_id: uuid.UUID) -> list[PlanItem]:
    """The program's current (not retired) items in display order, in one query of only the columns needed."""
    return plan_items_of(session.execute(
        select(
            col(ProgramItem.key), col(ProgramItem.title), col(ProgramItem.area), col(ProgramItem.criticality),
            col(ProgramItem.status), col(ProgramItem.due_date), col(ProgramItem.depends_on),
            col(ProgramItem.completed_at), col(ProgramItem.lapses_on), col(ProgramItem.retired),
        )
        .where(col(ProgramItem.program_id) == program_id, ~col(ProgramItem.retired))
        .order_by(col(ProgramItem.position))
    ).all())


def first_patient_projection(session: Session, program: Program) -> Projection:
    """The projection of a loaded program, as of today: one query."""
    return project(program.id, plan_items(session, program.id), today(), program.first_patient_target)


def set_first_patient_target(session: Session, program: Program, target: date | None, *, actor: User) -> Program:
    """Set (or clear) the date the program aims to dose its first patient; audited like any program change."""
    before = program.first_patient_target
    program.first_patient_target = target
    program.updated_at = utcnow()
    session.add(program)
    record_event(
        session, actor, "program.target_set", entity="program", institution_id=program.institution_id,
        program_id=program.id,
        before={"first_patient_target": before.isoformat() if before else None},
        after={"first_patient_target": target.isoformat() if target else None},
    )
    session.commit()
    return program
