"""Local items: a program's own steps (its P&T committee's form, a state requirement, a payer contract).

They are ProgramItem rows with `local` set and keys LOC-001, LOC-002... allocated per program and never reused
(library item ids may not start with LOC-, the loader refuses them). Their definition obeys the library's rules
(validated as an `ItemDef`); they count in readiness and the gate like any item, and library upgrades leave them
alone. Retiring one keeps its row, history and signatures, out of readiness.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.checklists.schema import LOCAL_PREFIX, Criticality, ItemDef, Phase
from app.checklists.yaml_source import Problem, YamlSource, parse_yaml
from app.clock import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.programs.models import ItemStatus, Program, ProgramItem
from app.programs.schemas import ItemRead, LocalItemCreate, LocalItemUpdate
from app.programs.service import (
    _check_owner,
    current_state,
    get_item,
    get_program,
    item_definition,
    read_item,
)

# Local items sort after the library's in their area (upgrades renumber library items from 0).
LOCAL_POSITION_BASE = 100_000
MAX_LOCAL_ITEMS = 999  # keys have three digits, as library ids do
LOCAL_FIELDS = (
    "area", "title", "done_when", "why", "references", "signoff_role", "criticality", "weight", "evidence_kinds",
    "renewal_months", "depends_on", "phase", "approval_chain",
)
# ItemDef names two fields differently from the item row and the API.
_ITEMDEF_NAMES = {"evidence": "evidence_kinds", "id": "key"}
KEY_ATTEMPTS = 5


def local_key(number: int) -> str:
    return f"{LOCAL_PREFIX}{number:03d}"


def _validated(key: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The definition as an item row stores it, after the library's own validation (`ItemDef`)."""
    data = {
        "id": key, "area": fields["area"], "title": fields["title"], "done_when": fields["done_when"],
        "why": fields["why"], "criticality": fields["criticality"], "weight": fields.get("weight"),
        "signoff_role": fields["signoff_role"], "evidence": fields.get("evidence_kinds") or [],
        "phase": fields.get("phase") or Phase.BOTH.value, "depends_on": fields.get("depends_on") or [],
        "renewal_months": fields.get("renewal_months"), "references": fields["references"],
        "approval_chain": fields.get("approval_chain"),
    }
    try:
        item = ItemDef.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "body"
        raise Invalid(first["msg"].removeprefix("Value error, "), field=_ITEMDEF_NAMES.get(name, name)) from None
    definition = item_definition(item)
    definition["depends_on"] = list(dict.fromkeys(item.depends_on))
    definition["phase"] = item.phase
    return definition


def _check_area(program: Program, area: str) -> None:
    areas = [a["id"] for a in program.areas]
    if area not in areas:
        raise Invalid(f"unknown area '{area}' (expected one of: {', '.join(areas)})", field="area")


def _check_dependencies(session: Session, program: Program, key: str, depends_on: Sequence[str]) -> None:
    """Every dependency is a current item of the program, and following them never comes back to `key`."""
    rows = session.execute(
        select(col(ProgramItem.key), col(ProgramItem.depends_on))
        .where(col(ProgramItem.program_id) == program.id, ~col(ProgramItem.retired))
    ).all()
    graph: dict[str, list[str]] = {row_key: list(deps or []) for row_key, deps in rows}
    for dep in depends_on:
        if dep == key:
            raise Invalid(f"dependency cycle: {key} depends on itself", field="depends_on")
        if dep not in graph:
            raise Invalid(f"unknown item '{dep}': not a current item of this program", field="depends_on")
    graph[key] = list(depends_on)
    path: list[str] = []
    finished: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node):], node]
        if node in finished:
            return None
        path.append(node)
        for dep in graph.get(node, []):
            if (cycle := visit(dep)) is not None:
                return cycle
        path.pop()
        finished.add(node)
        return None

    cycle = visit(key)
    if cycle is not None:
        raise Invalid(f"dependency cycle: {' → '.join(cycle)}", field="depends_on")


def _next_number(session: Session, program_id: uuid.UUID) -> int:
    """One more than the highest local key the program ever had: retired keys are never given again."""
    keys = session.scalars(
        select(col(ProgramItem.key)).where(
            col(ProgramItem.program_id) == program_id, col(ProgramItem.key).startswith(LOCAL_PREFIX)
        )
    ).all()
    numbers = [int(k.removeprefix(LOCAL_PREFIX)) for k in keys if k.removeprefix(LOCAL_PREFIX).isdecimal()]
    return max(numbers, default=0) + 1


def _add(session: Session, program: Program, data: LocalItemCreate, number: int, actor: User | None) -> ProgramItem:
    if number > MAX_LOCAL_ITEMS:
        raise Conflict(f"a program holds at most {MAX_LOCAL_ITEMS} local items (retired ones included)")
    key = local_key(number)
    definition = _validated(key, data.model_dump())
    _check_area(program, definition["area"])
    _check_dependencies(session, program, key, definition["depends_on"])
    if data.owner_id is not None:
        _check_owner(session, program, data.owner_id)
    item = ProgramItem(
        program_id=program.id, key=key, position=LOCAL_POSITION_BASE + number, local=True,
        owner_id=data.owner_id, due_date=data.due_date, **definition,
    )
    session.add(item)
    session.flush()
    record_event(
        session, actor, "item.local_created", entity="item", entity_key=key, institution_id=program.institution_id,
        program_id=program.id,
        after={**definition, "owner_id": data.owner_id, "due_date": data.due_date, "version": item.version},
    )
    return item


def create_local_items(
    session: Session, program_id: uuid.UUID, items: Sequence[LocalItemCreate], actor: User | None = None
) -> list[ItemRead]:
    """Add the program's own items, all or none, with the next free LOC- keys. Two people adding at once both
    succeed: the one that loses the race for a key takes the next."""
    for attempt in range(KEY_ATTEMPTS):
        # A write to the program's row, before anything is read, is the lock that queues additions to one
        # program: a row lock on PostgreSQL, the database's write lock on SQLite (whose reads outside a write
        # would otherwise see a next key another addition is taking). The retry below stays as a safety net.
        session.execute(update(Program).where(col(Program.id) == program_id)
                        .values(updated_at=col(Program.updated_at)))
        program = session.scalars(
            select(Program).where(col(Program.id) == program_id).execution_options(populate_existing=True)
        ).first()
        if program is None:
            session.rollback()
            raise NotFound("program not found")
        first = _next_number(session, program_id)
        try:
            added = []
            for index, data in enumerate(items):
                try:
                    added.append(_add(session, program, data, first + index, actor))
                except Invalid as error:
                    if len(items) == 1:
                        raise
                    raise Invalid(f"item #{index + 1}: {error.detail}", field=f"items[{index}].{error.field}") from None
            result = [read_item(session, program_id, item.key) for item in added]
            session.commit()
        except IntegrityError:
            session.rollback()
            if attempt == KEY_ATTEMPTS - 1:
                raise Conflict("could not allocate a local item key: too many additions at once; try again") from None
            continue
        except BaseException:
            session.rollback()
            raise
        return result
    raise AssertionError("unreachable")  # pragma: no cover


def create_local_item(
    session: Session, program_id: uuid.UUID, data: LocalItemCreate, actor: User | None = None
) -> ItemRead:
    """Add one local item to the program."""
    return create_local_items(session, program_id, [data], actor)[0]


def get_local_item(session: Session, program_id: uuid.UUID, key: str) -> ProgramItem:
    item = get_item(session, program_id, key)
    if not item.local:
        raise NotFound(f"item {key} is a library item, not a local one: its definition comes from the library")
    return item


def _check_version(session: Session, item: ProgramItem, version: int | None) -> int:
    if version is None:
        raise Invalid("send the item version you are changing (If-Match header or 'version')", field="version")
    if version != item.version:
        raise Conflict(f"item {item.key} was changed by someone else; reload and try again",
                       current=current_state(session, item))
    return version


def _apply(session: Session, item: ProgramItem, changes: dict[str, Any]) -> None:
    """Write `changes` only if nobody changed the item since it was read (the version check is in the UPDATE)."""
    result = session.execute(
        update(ProgramItem)
        .where(col(ProgramItem.id) == item.id, col(ProgramItem.version) == item.version)
        .values(**changes, version=item.version + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        fresh = get_item(session, item.program_id, item.key)
        raise Conflict(f"item {item.key} was changed by someone else; reload and try again",
                       current=current_state(session, fresh))


def update_local_item(
    session: Session, program_id: uuid.UUID, key: str, data: LocalItemUpdate, expected_version: int | None,
    actor: User | None = None,
) -> ItemRead:
    """Change a local item's definition. A signed-off item whose definition changes returns to done: its
    signature attested the old text (as a library upgrade does)."""
    item = get_local_item(session, program_id, key)
    if item.retired:
        raise Conflict(f"item {key} is retired; a retired item is kept as it was", current=current_state(session, item))
    version = _check_version(session, item, expected_version if expected_version is not None else data.version)
    program = get_program(session, program_id)
    sent = data.model_fields_set - {"version"}
    current = {field: getattr(item, field) for field in LOCAL_FIELDS}
    wanted = dict(current)
    for field in sent:
        value = getattr(data, field)
        if value is None and field in {"area", "title", "done_when", "why", "references", "signoff_role",
                                       "criticality"}:
            raise Invalid("this field is required and cannot be cleared", field=field)
        wanted[field] = value
    if "weight" in sent and data.weight is None:
        wanted["weight"] = None  # back to the criticality's weight
    elif "criticality" in sent and "weight" not in sent and current["weight"] == _default_weight(current):
        wanted["weight"] = None  # it followed the criticality: keep following it
    definition = _validated(key, wanted)
    changes = {f: definition[f] for f in LOCAL_FIELDS if definition[f] != current[f]}
    if not changes:
        return read_item(session, program_id, key)
    if "area" in changes:
        _check_area(program, definition["area"])
    if "depends_on" in changes:
        _check_dependencies(session, program, key, definition["depends_on"])
    before = {f: current[f] for f in changes}
    if item.status == ItemStatus.SIGNED_OFF:
        changes |= {"status": ItemStatus.DONE.value, "lapses_on": None}
        before |= {"status": item.status, "lapses_on": item.lapses_on}
    _apply(session, item, changes)
    record_event(
        session, actor, "item.local_updated", entity="item", entity_key=key, institution_id=program.institution_id,
        program_id=program_id, before={**before, "version": version}, after={**changes, "version": version + 1},
    )
    updated = read_item(session, program_id, key)
    session.commit()
    session.expire(item)
    return updated


def _default_weight(definition: dict[str, Any]) -> int | None:
    try:
        return {Criticality.BLOCKER: 3, Criticality.MAJOR: 2, Criticality.MINOR: 1}[
            Criticality(definition["criticality"])
        ]
    except ValueError:
        return None


def retire_local_item(
    session: Session, program_id: uuid.UUID, key: str, reason: str, expected_version: int | None,
    actor: User | None = None,
) -> ItemRead:
    """Take a local item out of readiness for good, keeping its row, history and signatures. Refused while a
    current item depends on it (change that item first). Its key is never given again."""
    item = get_local_item(session, program_id, key)
    if item.retired:
        raise Conflict(f"item {key} is already retired", current=current_state(session, item))
    version = item.version if expected_version is None else _check_version(session, item, expected_version)
    rows = session.execute(
        select(col(ProgramItem.key), col(ProgramItem.depends_on)).where(
            col(ProgramItem.program_id) == program_id, ~col(ProgramItem.retired)
        )
    ).all()
    blocking = sorted(k for k, deps in rows if key in (deps or []))
    if blocking:
        raise Conflict(f"item {key} cannot be retired: {', '.join(blocking)} depend on it; change them first",
                       current=current_state(session, item))
    program = get_program(session, program_id)
    now = utcnow()
    _apply(session, item, {"retired": True, "retired_at": now, "retired_reason": reason})
    record_event(
        session, actor, "item.local_retired", entity="item", entity_key=key, institution_id=program.institution_id,
        program_id=program_id, before={"retired": False, "status": item.status, "version": version},
        after={"retired": True, "reason": reason, "version": version + 1},
    )
    retired = read_item(session, program_id, key)
    session.commit()
    session.expire(item)
    return retired


# --- a YAML file of local items (the command line) ---------------------------------------------------------------


@dataclass(frozen=True)
class LocalItemsFile:
    items: list[LocalItemCreate]
    source: YamlSource
    prefix: tuple[str | int, ...]  # where the list sits: ("items",) or () for a bare list

    def line_of(self, index: int, field: str) -> int | None:
        """The line of item `index`'s `field` (or of the item, when it has no such key)."""
        return self.source.line_of((*self.prefix, index, field))


class LocalItemsFileError(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)


def read_local_items(path: Path, text: str) -> LocalItemsFile:
    """Items from a YAML file (`items:` list, or a bare list), every problem named with its line."""
    source, problems = parse_yaml(path, text)
    if source is None or problems:
        raise LocalItemsFileError(problems)
    raw = source.data.get("items") if isinstance(source.data, dict) else source.data
    prefix: tuple[str | int, ...] = ("items",) if isinstance(source.data, dict) else ()
    if not isinstance(raw, list) or not raw:
        raise LocalItemsFileError([source.problem(prefix, "expected a list of items (items: - title: ...)")])
    items: list[LocalItemCreate] = []
    for index, entry in enumerate(raw):
        loc = (*prefix, index)
        if not isinstance(entry, dict):
            problems.append(source.problem(loc, f"item #{index + 1}: an item must be a mapping"))
            continue
        data = dict(entry)
        if "evidence" in data and "evidence_kinds" not in data:
            data["evidence_kinds"] = data.pop("evidence")
        try:
            items.append(LocalItemCreate.model_validate(data))
        except ValidationError as error:
            problems += _file_problems(source, loc, index, error)
    if problems:
        raise LocalItemsFileError(problems)
    return LocalItemsFile(items, source, prefix)


def _file_problems(source: YamlSource, loc: tuple[str | int, ...], index: int, error: ValidationError) -> list[Problem]:
    found = []
    for detail in error.errors():
        where = [str(part) for part in detail["loc"]]
        message = "unknown key" if detail["type"] == "extra_forbidden" else detail["msg"].removeprefix("Value error, ")
        found.append(source.problem((*loc, *detail["loc"]), f"item #{index + 1}: {'.'.join(where)}: {message}"))
    return found
