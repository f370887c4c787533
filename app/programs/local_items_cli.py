"""`gtready items add-local PROGRAM_ID`: add a program's own items from options, or many from a YAML file."""

import re
import uuid
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from app.cli_support import exit_on_domain_error, open_session, plural
from app.errors import Invalid
from app.programs.local_items import LocalItemsFileError, create_local_items, read_local_items
from app.programs.schemas import LocalItemCreate

items_cli = typer.Typer(help="A program's items.", no_args_is_help=True)
MAX_FILE_BYTES = 1_000_000


def _program_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        typer.echo(f"PROGRAM_ID: '{value}' is not an id (a UUID)", err=True)
        raise typer.Exit(code=2) from None


def _from_options(**options: object) -> LocalItemCreate:
    given = {name: value for name, value in options.items() if value not in (None, [])}
    try:
        return LocalItemCreate.model_validate(given)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "item"
        option = {"references": "source", "evidence_kinds": "evidence"}.get(field, field).replace("_", "-")
        typer.echo(f"--{option}: {first['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(code=1) from None


@items_cli.command("add-local")
def add_local(
    program_id: Annotated[str, typer.Argument(help="The program's id")],
    file: Annotated[Path | None, typer.Option(help="A YAML file of items (items: - area: ...), added all or none")]
    = None,
    area: Annotated[str | None, typer.Option(help="The area's id, e.g. policy")] = None,
    title: Annotated[str | None, typer.Option()] = None,
    done_when: Annotated[str | None, typer.Option(help="What done means")] = None,
    why: Annotated[str | None, typer.Option(help="Why it matters")] = None,
    source: Annotated[list[str] | None, typer.Option(help="A source it comes from (repeat for more)")] = None,
    signoff_role: Annotated[str | None, typer.Option(help="Who signs it off, e.g. policy_lead")] = None,
    criticality: Annotated[str | None, typer.Option(help="blocker, major or minor")] = None,
    weight: Annotated[int | None, typer.Option(help="1-10; default: the criticality's")] = None,
    evidence: Annotated[list[str] | None, typer.Option(help="An evidence kind expected (repeat for more)")] = None,
    renewal_months: Annotated[int | None, typer.Option()] = None,
    depends_on: Annotated[list[str] | None, typer.Option(help="An item key it depends on (repeat for more)")] = None,
    phase: Annotated[str | None, typer.Option(help="pre_dose, post_dose or both")] = None,
    due: Annotated[str | None, typer.Option(help="Due date, YYYY-MM-DD")] = None,
) -> None:
    """Add the program's own items (keys LOC-001...): one from the options, or every item of --file."""
    wanted = _program_id(program_id)
    if file is not None:
        try:
            if file.stat().st_size > MAX_FILE_BYTES:
                typer.echo(f"{file}: larger than {MAX_FILE_BYTES:,} bytes; not a file of items", err=True)
                raise typer.Exit(code=1)
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            typer.echo(f"{file}: cannot read: {error}", err=True)
            raise typer.Exit(code=1) from None
        try:
            parsed = read_local_items(file, text)
        except LocalItemsFileError as error:
            for problem in error.problems:
                typer.echo(str(problem), err=True)
            raise typer.Exit(code=1) from None
        items = parsed.items
    else:
        items = [_from_options(area=area, title=title, done_when=done_when, why=why, references=source,
                               signoff_role=signoff_role, criticality=criticality, weight=weight,
                               evidence_kinds=evidence, renewal_months=renewal_months, depends_on=depends_on,
                               phase=phase, due_date=due)]
        parsed = None
    with open_session() as session, exit_on_domain_error():
        try:
            added = create_local_items(session, wanted, items)
        except Invalid as error:
            found = re.fullmatch(r"items\[(\d+)\]\.(\w+)", error.field)
            if parsed is None or found is None and len(items) != 1:
                raise
            index, field = (int(found.group(1)), found.group(2)) if found else (0, error.field)
            line = parsed.line_of(index, field)
            typer.echo(f"{file} line {line}: {error.detail}" if line else f"{file}: {error.detail}", err=True)
            raise typer.Exit(code=1) from None
    for item in added:
        typer.echo(f"{item.key}  {item.area}  {item.title}")
    typer.echo(f"Added {plural(len(added), 'local item')}.")
