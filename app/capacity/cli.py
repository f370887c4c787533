"""`gtready capacity INSTITUTION`: shared-resource demand of all the institution's programs against one capacity."""

import uuid
from typing import Annotated

import typer
from sqlalchemy import select
from sqlmodel import col

from app.capacity.service import institution_capacity
from app.cli_support import exit_on_domain_error, fail, open_session
from app.programs.models import Institution


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}".removesuffix(".0")


def capacity(
    institution: Annotated[str, typer.Argument(help="The institution's id or exact name")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON")] = False,
) -> None:
    """Per plan year: each shared resource's combined demand, capacity, shortfall and the competing programs."""
    with open_session() as session:
        try:
            institution_id = uuid.UUID(institution)
        except ValueError:
            found = session.scalars(select(Institution).where(col(Institution.name) == institution)).first()
            if found is None:
                fail(f"INSTITUTION: no institution named '{institution[:100]}'")
            institution_id = found.id
        with exit_on_domain_error():
            view = institution_capacity(session, institution_id)
    if as_json:
        typer.echo(view.model_dump_json(indent=2))
        return
    for title in view.programs_without_scenario:
        typer.echo(f"{title}: no capacity scenario saved, not counted")
    if not view.resources:
        typer.echo("no program has demand for a shared resource")
        return
    for load in view.resources:
        head = f"{load.resource.value}: capacity {_fmt(load.capacity)} per {view.period} ({load.capacity_source})"
        typer.echo(head + (f"; exceeded first in year {load.first_over_period}" if load.first_over_period else ""))
        for period in load.periods:
            if not period.demand:
                continue
            flag = "OVER " if period.over else "     "
            who = ", ".join(f"{name} {_fmt(value)}" for name, value in period.by_program.items())
            typer.echo(f"  {flag}year {period.period:>2}  {_fmt(period.demand):>8} / {_fmt(period.capacity):<8} {who}")
