"""`gtready projection PROGRAM_ID`: when the first patient can be dosed, the critical path and each item's slack."""

import uuid
from typing import Annotated

import typer

from app.cli_support import exit_on_domain_error, open_session
from app.programs.projection import first_patient_projection
from app.programs.schemas import Projection
from app.programs.service import get_program


def projection_lines(projection: Projection) -> list[str]:
    """The projection as a committee would read it aloud: date and target, then the path, then the slack."""
    if projection.gate_open:
        return ["First-patient gate: open (every applicable blocker is signed off)."]
    if projection.projected_date is None:
        lines = ["Projected first-patient date: unknown; set a due date on:"]
        return lines + [f"  {r.key}  {r.title}" for r in projection.reasons]
    line = f"Projected first-patient date: {projection.projected_date}"
    if projection.target is not None:
        line += f" (target {projection.target}"
        line += f", {projection.slip_days} days late because of {projection.moved_by})" if projection.slip_days \
            else ", on time)"
    lines = [line, "", "Critical path (from the item that sets the date):"]
    for item in reversed(projection.critical_path):
        due = f"due {item.due_date}" if item.due_date else "no due date"
        notes = [n for n, on in (("overdue", item.overdue), ("awaiting signature", item.awaiting_signature)) if on]
        if item.slipped_days:
            notes.append(f"slips {item.slipped_days} days")
        suffix = f" ({', '.join(notes)})" if notes else ""
        lines.append(f"  {item.key:<10} finishes {item.finish}  {due}{suffix}  {item.title}")
    lines += ["", "Slack (days each open item can slip before the date moves):"]
    for item in sorted(projection.items, key=lambda i: (i.slack_days or 0, i.key)):
        lines.append(f"  {item.key:<10} {item.slack_days:>5}  {'gate' if item.gate_item else '    '}  {item.title}")
    return lines


def projection_command(program_id: Annotated[str, typer.Argument(help="The program's id")]) -> None:
    """When can we dose the first patient? The projected date, its critical path and each open item's slack."""
    try:
        wanted = uuid.UUID(program_id)
    except ValueError:
        typer.echo(f"PROGRAM_ID: '{program_id}' is not an id (a UUID)", err=True)
        raise typer.Exit(code=2) from None
    with open_session() as session, exit_on_domain_error():
        typer.echo("\n".join(projection_lines(first_patient_projection(session, get_program(session, wanted)))))
