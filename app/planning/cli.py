"""`gtready scenarios`: list a program's planning scenarios and run one, as a table or as the API's JSON."""

import uuid
from collections.abc import Sequence
from typing import Annotated

import typer

from app.cli_support import exit_on_domain_error, open_session
from app.followup.schemas import CapacityResult
from app.planning import service
from app.programs.service import get_program
from app.risk.schemas import ReimbursementResult

scenarios_cli = typer.Typer(help="Planning scenarios: payer reimbursement exposure, follow-up capacity.",
                            no_args_is_help=True)


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        typer.echo(f"{what}: '{value}' is not an id (a UUID)", err=True)
        raise typer.Exit(code=2) from None


def _table(rows: Sequence[tuple[str, ...]], right: set[int] | None = None) -> str:
    """Plain aligned columns; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.rjust(w) if i in (right or set()) else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _money(value: float) -> str:
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"


@scenarios_cli.command("list")
def list_scenarios(program_id: Annotated[str, typer.Argument(help="The program's id")]) -> None:
    """List a program's saved scenarios, most recently saved first."""
    with open_session() as session:
        with exit_on_domain_error():
            program = get_program(session, _uuid(program_id, "PROGRAM_ID"))
        scenarios = service.list_scenarios(session, program.id)
    if not scenarios:
        typer.echo(f"no scenario saved for '{program.title}'")
        return
    rows = [("ID", "KIND", "NAME", "SAVED", "BY")]
    rows += [(str(s.id), s.kind, s.name, s.updated_at.strftime("%Y-%m-%d %H:%M"), s.created_by_name)
             for s in scenarios]
    typer.echo(_table(rows))


def _reimbursement_lines(result: ReimbursementResult) -> str:
    loss = result.cohort_loss
    summary = _table([
        ("RESULT", "VALUE"),
        ("Risk level", f"{result.risk_level} ({result.loss_share_of_cost:.1%} of the mean acquisition cost)"),
        ("Patients over the horizon", str(result.patients)),
        ("Expected loss per patient", _money(result.expected_loss_per_patient)),
        ("Expected loss per year", _money(result.expected_loss_per_year)),
        ("Cohort loss: mean", _money(loss.mean)),
        ("Cohort loss: median", _money(loss.median)),
        ("Cohort loss: 90th percentile", _money(loss.p90)),
        ("Cohort loss: 95th percentile", _money(loss.p95)),
        ("Peak cash outstanding", f"{_money(result.peak_cash_outstanding)} (month {result.peak_cash_month})"),
        ("Peak cash outstanding, worst case", _money(result.peak_cash_outstanding_worst_case)),
    ])
    ranking = _table([("RANK", "INPUT", "SWING")] + [
        (str(rank), row.input, _money(row.swing)) for rank, row in enumerate(result.sensitivity, start=1)
    ], right={2})
    return f"{summary}\n\nSensitivity of the expected loss per patient (each input ±25%):\n{ranking}"


def _capacity_lines(result: CapacityResult) -> str:
    verdict = ("capacity holds for the whole horizon" if result.capacity_holds
               else f"short from year {result.first_shortfall_year}: add {result.extra_visit_slots_needed} visit "
                    f"slots, {result.extra_coordinator_fte_needed:.2f} coordinator FTE "
                    f"({result.extra_coordinator_hours_needed:,.0f} hours) and {result.extra_lab_capacity_needed} "
                    "lab capacity a year")
    rows = [("YEAR", "PATIENTS", "VISITS NEEDED", "SLOTS", "HOURS NEEDED", "HOURS", "LABS NEEDED", "LABS", "SHORT")]
    rows += [(str(y.year), f"{y.patients_in_follow_up:.1f}", f"{y.visits_needed:.1f}", str(y.visits_available),
              f"{y.coordinator_hours_needed:.1f}", f"{y.coordinator_hours_available:,.0f}", f"{y.labs_needed:.1f}",
              str(y.labs_available), "yes" if y.short else "")
             for y in result.years]
    return f"Follow-up capacity: {verdict}\n\n{_table(rows, right=set(range(1, 8)))}"


@scenarios_cli.command("run")
def run_scenario(
    scenario_id: Annotated[str, typer.Argument(help="The scenario's id (see `gtready scenarios list`)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a table")] = False,
) -> None:
    """Run a saved scenario: the same numbers as POST /api/scenarios/{id}/run."""
    with open_session() as session, exit_on_domain_error():
        run = service.run_scenario(service.get_scenario(session, _uuid(scenario_id, "SCENARIO_ID")))
    if as_json:
        typer.echo(run.model_dump_json(indent=2))
        return
    typer.echo(f"{run.scenario.name} ({run.scenario.kind}, saved {run.scenario.updated_at:%Y-%m-%d %H:%M})\n")
    if run.reimbursement:
        typer.echo(_reimbursement_lines(run.reimbursement))
    elif run.capacity:
        typer.echo(_capacity_lines(run.capacity))
