"""`gtready items bulk PROGRAM_ID`: one change (owner, due date, status) to many items, as the program table does it.

Every row goes through `bulk.bulk_edit`, the service behind `POST /api/programs/{id}/items/bulk` and the table's
bulk bar: the same permission per item, rules, version check and audit event. What the command adds is reading
its options: anything it cannot read (an unknown key, person, status or area, a bad date) is named by its option
and exits 2 before a single item changes.
"""

import uuid
from datetime import date
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import User
from app.auth.service import user_with_email
from app.cli_support import exit_on_domain_error, open_session, plural
from app.programs.bulk import MAX_ITEMS, BulkChange, BulkEdit, BulkResult, bulk_edit
from app.programs.item_query import ItemSelection
from app.programs.models import ItemStatus, ProgramItem
from app.programs.schemas import SettableStatus
from app.programs.service import get_program

CLEAR = "none"  # --set-owner none / --set-due none: clear it
OUTCOME_WORDS = {"done": "done", "unchanged": "already so", "refused": "refused", "conflict": "conflict"}


def _bad(option: str, message: str) -> NoReturn:
    """Input the command cannot read: named by its option, exit 2 (a usage error), nothing changed."""
    typer.echo(f"{option}: {message}", err=True)
    raise typer.Exit(code=2)


def _person(session: Session, option: str, email: str) -> User:
    user = user_with_email(session, email)
    if user is None:
        _bad(option, f"no person with email {email!r}")
    return user


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        _bad("--set-due", f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2026-11-30, or '{CLEAR}' to clear it")


def _choice(option: str, value: str, choices: list[str]) -> str:
    if value not in choices:
        _bad(option, f"unknown status {value!r}; one of {', '.join(choices)}")
    return value


def outcome_table(result: BulkResult) -> list[str]:
    """Each row's outcome as aligned columns, then the counts: what a person reads after a bulk change."""
    width = max([len("ITEM"), *(len(row.key) for row in result.rows)])
    lines = [f"{'ITEM':<{width}}  {'OUTCOME':<10}  REASON"]
    lines += [f"{row.key:<{width}}  {OUTCOME_WORDS[row.outcome]:<10}  {row.reason or ''}".rstrip()
              for row in result.rows]
    counts = [f"{result.done} done", f"{result.unchanged} already so", f"{result.refused} refused",
              f"{plural(result.conflict, 'conflict')}"]
    return [*lines, f"{plural(len(result.rows), 'item')}: {', '.join(counts)}."]


def bulk_command(
    program_id: Annotated[str, typer.Argument(help="The program's id")],
    as_email: Annotated[str, typer.Option("--as", help="Who makes the change (their email): their permissions "
                                                       "apply to each item and the audit trail names them")],
    key: Annotated[list[str] | None, typer.Option(help="An item key, e.g. PHARM-001 (repeat for more)")] = None,
    all_matching: Annotated[bool, typer.Option(help="Instead of --key: every item the filters match")] = False,
    area: Annotated[str | None, typer.Option(help="Filter: the area's id, e.g. pharmacy")] = None,
    status: Annotated[str | None, typer.Option(help="Filter: items with this status")] = None,
    owner: Annotated[str | None, typer.Option(help="Filter: items this person (email) owns")] = None,
    overdue: Annotated[bool, typer.Option(help="Filter: only overdue items")] = False,
    blockers: Annotated[bool, typer.Option(help="Filter: only items keeping the first-patient gate closed")]
    = False,
    local: Annotated[bool, typer.Option(help="Filter: only the program's own (local) items")] = False,
    q: Annotated[str, typer.Option(help="Filter: words in the item's key or title")] = "",
    set_owner: Annotated[str | None, typer.Option(help=f"New owner (email), or '{CLEAR}' to clear")] = None,
    set_due: Annotated[str | None, typer.Option(help=f"New due date, YYYY-MM-DD, or '{CLEAR}' to clear")] = None,
    set_status: Annotated[str | None, typer.Option(help="New status: " + ", ".join(SettableStatus))] = None,
) -> None:
    """Change owner, due date or status of many items at once; print each item's outcome (exit 1 if any refused)."""
    try:
        wanted = uuid.UUID(program_id)
    except ValueError:
        _bad("PROGRAM_ID", f"'{program_id}' is not an id (a UUID)")
    if bool(key) == all_matching:
        _bad("--key", "name the items with --key (repeat for more), or use --all-matching with filters; not both")
    filters = {"--area": area, "--status": status, "--owner": owner, "--q": q or None}
    used = [name for name, value in filters.items() if value is not None]
    used += [name for name, on in (("--overdue", overdue), ("--blockers", blockers), ("--local", local)) if on]
    if key and used:
        _bad(used[0], "filters choose the items of --all-matching; with --key the keys alone do")
    if set_owner is None and set_due is None and set_status is None:
        _bad("--set-owner", "say what to change: --set-owner, --set-due or --set-status")
    if key and len(key) > MAX_ITEMS:
        _bad("--key", f"at most {MAX_ITEMS} items at once")
    with open_session() as session, exit_on_domain_error():
        actor = _person(session, "--as", as_email)
        program = get_program(session, wanted)
        change: dict[str, object] = {}
        if set_owner is not None:
            change["owner_id"] = None if set_owner == CLEAR else _person(session, "--set-owner", set_owner).id
        if set_due is not None:
            change["due_date"] = None if set_due == CLEAR else _day(set_due)
        if set_status is not None:
            change["status"] = _choice("--set-status", set_status, list(SettableStatus))
        if key:
            known = set(session.scalars(select(col(ProgramItem.key)).where(col(ProgramItem.program_id) == wanted)))
            unknown = [k for k in dict.fromkeys(key) if k not in known]
            if unknown:
                _bad("--key", f"no item {', '.join(unknown)} in program '{program.title}'")
            target: dict[str, object] = {"keys": key}
        else:
            if area is not None and area not in {a["id"] for a in program.areas}:
                _bad("--area", f"no area {area!r} in this program; one of {', '.join(a['id'] for a in program.areas)}")
            selection = {"q": q, "area": area, "overdue": overdue, "blockers": blockers, "local": local,
                         "status": None if status is None else _choice("--status", status, list(ItemStatus)),
                         "owner_id": None if owner is None else _person(session, "--owner", owner).id}
            target = {"selection": selection}
        try:
            if "selection" in target:
                target["selection"] = ItemSelection.model_validate(target["selection"])
            edit = BulkEdit.model_validate({**target, "change": BulkChange.model_validate(change)})
        except ValidationError as error:
            first = error.errors()[0]
            _bad("--" + str(first["loc"][0]).replace("_", "-") if first["loc"] else "--key",
                 first["msg"].removeprefix("Value error, "))
        result = bulk_edit(session, wanted, edit, actor)
    typer.echo("\n".join(outcome_table(result)))
    if result.refused or result.conflict:
        raise typer.Exit(code=1)
