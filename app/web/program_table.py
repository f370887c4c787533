"""The program page's item table as the page shows it: the query read from the address, links that keep it,
the rows' permissions, and the live state (readiness, gate, counts) that htmx swaps out of band after a change."""

import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from sqlmodel import Session

from app.auth.models import User
from app.auth.service import roles_in
from app.planning.service import planning_status
from app.programs import bulk, item_query
from app.programs import readiness as readiness_service
from app.programs.access import may_change_item
from app.programs.bulk import BulkEdit, BulkResult
from app.programs.item_query import SORT_COLUMNS, ItemSelection, ItemTableQuery
from app.programs.models import Program
from app.programs.schemas import ItemRead

QUERY_FIELDS = ("q", "area", "status", "owner_id", "overdue", "blockers", "local", "sort", "dir", "page")
DEFAULTS: dict[str, Any] = {"sort": "area", "direction": "asc", "page": 1}
BULK_OWNER_KEEP, BULK_OWNER_CLEAR = "", "none"


def _raw(params: Mapping[str, str]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for name in QUERY_FIELDS:
        value = params.get(name, "").strip()
        if value:
            raw["direction" if name == "dir" else name] = value
    return raw


def table_query(params: Mapping[str, str]) -> tuple[ItemTableQuery, list[str]]:
    """The table query from the address; a value that makes no sense is dropped and named, not a failure."""
    raw = _raw(params)
    ignored: list[str] = []
    while True:
        try:
            return ItemTableQuery.model_validate(raw), ignored
        except ValidationError as error:
            bad = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
            if not bad & raw.keys():
                return ItemTableQuery(), [*ignored, *sorted(raw)]
            ignored += sorted(bad & raw.keys())
            raw = {k: v for k, v in raw.items() if k not in bad}


def selection_from(params: Mapping[str, str]) -> ItemSelection:
    """The selection a bulk form carried (its hidden filter fields)."""
    query, _ = table_query(params)
    return ItemSelection.model_validate(query.model_dump(include=set(ItemSelection.model_fields)))


def table_url(program_id: uuid.UUID, query: ItemTableQuery, **changes: Any) -> str:
    """The program page with this query, changed as asked (a sort header, a chip, a page link)."""
    data = query.model_dump() | changes
    params: dict[str, str] = {}
    for name, value in data.items():
        if value in (None, "", False) or DEFAULTS.get(name) == value:
            continue
        params["dir" if name == "direction" else name] = "1" if value is True else str(value)
    suffix = f"?{urlencode(params)}" if params else ""
    return f"/programs/{program_id}{suffix}#items"


def sort_link(program_id: uuid.UUID, query: ItemTableQuery, column: str) -> dict[str, str]:
    """A column header's link (toggles the direction when already sorted by it) and its aria-sort state."""
    current = query.sort == column
    direction = "desc" if current and query.direction == "asc" else "asc"
    state = ("ascending" if query.direction == "asc" else "descending") if current else "none"
    return {"href": table_url(program_id, query, sort=column, direction=direction, page=1), "state": state}


def my_roles(session: Session, user: User, program: Program) -> set[str]:
    return {r.value for r in roles_in(session, user, program.institution_id)}


def may_change(session: Session, user: User, program: Program) -> Callable[[ItemRead], bool]:
    """Whether this person may change an item (the rule `item_for_change` enforces), without a query per row."""
    roles = my_roles(session, user, program)
    return lambda item: may_change_item(user, roles, item.signoff_role)


def table_context(session: Session, program: Program, query: ItemTableQuery, user: User) -> dict[str, Any]:
    """What `_item_table.html` needs: the page of rows, the chips, the links, and what this person may change."""
    table = item_query.item_table(session, program, query)
    return {
        "table": table,
        "query": query,
        "table_url": lambda **changes: table_url(program.id, query, **changes),
        "sort_links": {column: sort_link(program.id, query, column) for column in SORT_COLUMNS},
        "owner_chips": item_query.owners(session, program.id),
        "may_change": may_change(session, user, program),
    }


def live_context(session: Session, program: Program) -> dict[str, Any]:
    """Readiness, the gate and the counts: what an inline change or a bulk edit swaps out of band."""
    return {"readiness": readiness_service.readiness(session, program.id),
            "planning": planning_status(session, program.id)}


def run_bulk_form(
    session: Session, program: Program, user: User, fields: Mapping[str, str], *, keys: list[str], seen: list[str],
    all_matching: bool, owner: str, due_date: str, clear_due: bool, status: str,
) -> tuple[BulkResult | None, str | None]:
    """The bulk form's fields as a `BulkEdit`, applied; or what is wrong with the form, in words."""
    change: dict[str, Any] = {}
    if owner == BULK_OWNER_CLEAR:
        change["owner_id"] = None
    elif owner != BULK_OWNER_KEEP:
        change["owner_id"] = owner
    if clear_due:
        change["due_date"] = None
    elif due_date:
        change["due_date"] = due_date
    if status:
        change["status"] = status
    if not change:
        return None, "Choose an owner, a due date or a status to set."
    if not all_matching and not keys:
        return None, "Tick at least one item, or “all matching this filter”."
    versions: dict[str, int] = {}
    for entry in seen:
        key, _, version = entry.partition(":")
        if version.isascii() and version.isdigit():
            versions[key] = int(version)
    target: dict[str, Any] = {"selection": selection_from(fields)} if all_matching else {"keys": keys}
    try:
        edit = BulkEdit.model_validate({**target, "versions": versions, "change": change})
    except ValidationError as error:
        first = error.errors()[0]
        where = " ".join(str(part) for part in first["loc"] if part not in ("change", "keys"))
        return None, f"{where.replace('_', ' ') or 'form'}: {first['msg']}".capitalize()
    return bulk.bulk_edit(session, program.id, edit, user), None
