"""The `gtready` command: serve, database, checklists, demo data."""

from pathlib import Path
from typing import Annotated

import typer

from app.checklists.loader import LibraryError, load_catalog, load_path
from app.cli_support import exit_on_domain_error, open_session
from app.config import Settings
from app.planning.cli import scenarios_cli
from app.transfer.cli import export_command, import_command

cli = typer.Typer(help="gtready: readiness tracking for commercial gene therapy programs.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
checklists_cli = typer.Typer(help="Checklist libraries.", no_args_is_help=True)
users_cli = typer.Typer(help="People and accounts.", no_args_is_help=True)
audit_cli = typer.Typer(help="The audit trail.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(checklists_cli, name="checklists")
cli.add_typer(users_cli, name="users")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(scenarios_cli, name="scenarios")
cli.command("export")(export_command)
cli.command("import")(import_command)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Run the web service (migrate first with `gtready db upgrade`)."""
    import uvicorn

    uvicorn.run("app.asgi:app", host=host, port=port, workers=workers, proxy_headers=True, access_log=False)


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "heads") -> None:
    """Migrate the database to the latest schema."""
    from app import migrate

    settings = Settings()
    migrate.upgrade(settings, revision)
    typer.echo(f"database at {revision}: {settings.database_url.split('@')[-1]}")


@db_cli.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. base")]) -> None:
    """Migrate the database down to `revision`."""
    from app import migrate

    migrate.downgrade(Settings(), revision)
    typer.echo(f"database at {revision}")


@checklists_cli.command("validate")
def checklists_validate(path: Annotated[Path, typer.Argument(help="A library file, folder, or tree")]) -> None:
    """Validate checklist libraries; print every problem with its file and line."""
    try:
        libraries = load_path(path)
    except LibraryError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"{len(error.problems)} problem(s); nothing loaded", err=True)
        raise typer.Exit(code=1) from None
    for library in libraries:
        typer.echo(f"ok  {library.id} {library.version}: {len(library.items)} items in {len(library.areas)} areas")


@cli.command()
def demo() -> None:
    """Seed the demo institution, its people (one per role) and a program part-way through set-up."""
    from app.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_demo
    from app.evidence.files import LocalStorage

    settings = Settings()
    with open_session(settings) as session:
        program = seed_demo(session, load_catalog(settings.checklists_dir), LocalStorage(settings.evidence_dir))
        typer.echo(f"demo program '{program.title}' ({program.id})")
    typer.echo(f"log in as any of these, password '{DEMO_PASSWORD}':")
    for person in DEMO_PEOPLE:
        typer.echo(f"  {person.email:<32} {', '.join(r.label for r in person.roles)}")


@users_cli.command("create-admin")
def users_create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    full_name: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create the site-wide superuser (set-up only: institutions and their first administrators)."""
    from app.auth.service import create_admin

    with open_session() as session, exit_on_domain_error():
        user = create_admin(session, email, full_name, password)
    typer.echo(f"superuser {user.email} created")


@users_cli.command("set-password")
def users_set_password(
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set a person's password (for example someone restored by `gtready import`, who arrives without one)."""
    from app.auth.service import reset_password

    with open_session() as session, exit_on_domain_error():
        user = reset_password(session, email, password)
    typer.echo(f"password set for {user.email}")


@cli.command()
def report(
    program_id: Annotated[str, typer.Argument(help="The program's id")],
    out: Annotated[Path, typer.Option(help="Where to write the PDF")] = Path("readiness-report.pdf"),
    kind: Annotated[str, typer.Option(help="full or executive")] = "full",
    prepared_for: Annotated[str, typer.Option(help="Who it is for")] = "Gene therapy program steering committee",
) -> None:
    """Generate, store and write a PDF readiness report of a program."""
    import uuid as uuid_module

    from app.errors import DomainError
    from app.programs.service import get_program
    from app.reports.schemas import ReportKind
    from app.reports.service import generate_report

    settings = Settings()
    with open_session(settings) as session:
        try:
            program = get_program(session, uuid_module.UUID(program_id))
            stored = generate_report(
                session, load_catalog(settings.checklists_dir), None, program, ReportKind(kind), prepared_for
            )
        except (DomainError, ValueError) as error:
            typer.echo(getattr(error, "detail", str(error)), err=True)
            raise typer.Exit(code=1) from None
        out.write_bytes(stored.pdf)
        typer.echo(f"{stored.number}: {stored.pages} pages written to {out} (data SHA-256 {stored.data_sha256})")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain; name the first event altered or removed."""
    from app.audit.service import verify_chain

    with open_session() as session:
        report = verify_chain(session)
    if report.valid:
        typer.echo(f"audit chain intact: {report.events} events")
        return
    typer.echo(f"audit chain BROKEN at event {report.first_bad_seq}: {report.problem}", err=True)
    raise typer.Exit(code=1)


def main() -> None:
    cli()
