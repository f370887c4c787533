"""The program page's item table: search, filter chips, sort and pages, done in SQL so a 300-item program stays fast."""

import math
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import case, func, or_, select
from sqlmodel import Session, col

from app.auth.models import User
from app.programs.models import ItemStatus, Program, ProgramItem
from app.programs.readiness import blocking_condition
from app.programs.schemas import ItemFilters, ItemRead
from app.programs.service import item_rows_query
from app.text import NO_NUL, NoNul

PER_PAGE = 50
SortColumn = Literal["area", "key", "title", "status", "owner", "due"]
SORT_COLUMNS: tuple[SortColumn, ...] = ("key", "title", "area", "status", "owner", "due")
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul, NO_NUL]


class ItemSelection(BaseModel):
    """Which items: the search text and the filter chips. The same selection drives the table and bulk edits."""

    model_config = ConfigDict(extra="forbid")

    q: SearchText = Field(default="", description="Words in the item's key or title")
    area: Annotated[str, StringConstraints(max_length=64)] | None = None
    status: ItemStatus | None = None
    owner_id: uuid.UUID | None = None
    overdue: bool = False
    blockers: bool = Field(default=False, description="Only the items keeping the first-patient gate closed")
    local: bool = Field(default=False, description="Only the program's own (local) items")


class ItemTableQuery(ItemSelection):
    sort: SortColumn = "area"
    direction: Literal["asc", "desc"] = "asc"
    page: Annotated[int, Field(ge=1, le=10_000)] = 1


class ItemTablePage(BaseModel):
    items: list[ItemRead]
    total: int
    page: int
    pages: int
    per_page: int


def _selection_query(program_id: uuid.UUID, selection: ItemSelection) -> Any:
    filters = ItemFilters.model_construct(
        area=selection.area, status=selection.status, owner_id=selection.owner_id,
        overdue=True if selection.overdue else None, lapsed=None, criticality=None, include_retired=False,
    )
    query = item_rows_query(program_id, filters)
    if selection.q:
        for word in selection.q.lower().split():
            pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(or_(func.lower(col(ProgramItem.key)).like(pattern, escape="\\"),
                                    func.lower(col(ProgramItem.title)).like(pattern, escape="\\")))
    if selection.blockers:
        query = query.where(blocking_condition())
    if selection.local:
        query = query.where(col(ProgramItem.local).is_(True))
    return query


def _order(program: Program, query: ItemTableQuery) -> list[Any]:
    area_order = case({area["id"]: i for i, area in enumerate(program.areas)}, value=ProgramItem.area,
                      else_=len(program.areas))
    status_order = case({s.value: i for i, s in enumerate(ItemStatus)}, value=ProgramItem.status, else_=99)
    columns: dict[str, list[Any]] = {
        "area": [area_order, col(ProgramItem.position)],
        "key": [col(ProgramItem.key)],
        "title": [func.lower(col(ProgramItem.title))],
        "status": [status_order],
        "owner": [func.lower(col(User.full_name))],
        "due": [col(ProgramItem.due_date)],
    }
    descending = query.direction == "desc"
    ordered = [c.desc() if descending else c.asc() for c in columns[query.sort]]
    if query.sort in ("owner", "due"):  # unassigned and undated last, whichever the direction
        ordered = [(columns[query.sort][0].is_(None)).asc(), *ordered]
    return [*ordered, area_order, col(ProgramItem.position)]


def item_table(session: Session, program: Program, query: ItemTableQuery) -> ItemTablePage:
    """One page of the program's items, searched, filtered and sorted, with the matching total: one statement."""
    rows = session.execute(
        _selection_query(program.id, query)
        .add_columns(func.count().over().label("total"))
        .order_by(*_order(program, query))
        .limit(PER_PAGE)
        .offset((query.page - 1) * PER_PAGE)
    ).all()
    total = rows[0].total if rows else count_matching(session, program.id, query)
    return ItemTablePage(
        items=[ItemRead.model_validate(row._asdict()) for row in rows], total=int(total), page=query.page,
        pages=max(1, math.ceil(total / PER_PAGE)), per_page=PER_PAGE,
    )


def count_matching(session: Session, program_id: uuid.UUID, selection: ItemSelection) -> int:
    query = _selection_query(program_id, selection).order_by(None)
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def matching_keys(session: Session, program_id: uuid.UUID, selection: ItemSelection) -> list[str]:
    """Keys of every item the selection matches, in library order (a bulk edit of "all matching")."""
    query = _selection_query(program_id, selection).order_by(col(ProgramItem.position))
    return [row.key for row in session.execute(query).all()]



def owners(session: Session, program_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The people who own at least one of the program's items, by name (the owner chips)."""
    rows = session.execute(
        select(col(User.id), col(User.full_name)).distinct()
        .join(ProgramItem, col(ProgramItem.owner_id) == User.id)
        .where(col(ProgramItem.program_id) == program_id, col(ProgramItem.retired).is_(False))
        .order_by(col(User.full_name), col(User.id))
    ).all()
    return [(row[0], row[1]) for row in rows]
