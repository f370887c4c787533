"""The `gtready` command: serve, database, checklists, demo data."""

from pathlib import Path
from typing import Annotated

import typer

from app.auth.service_accounts_cli import service_accounts_cli
from app.capacity.cli import capacity as capacity_command
from app.checklists.loader import LibraryError, load_catalog, load_path, validate_path
from app.cli_support import (
    check_data_dir,
    check_database,
    check_port,
    exit_on_domain_error,
    fail,
    open_session,
    plural,
)
from app.committees.cli import committees_cli
from app.config import Settings
from app.dossier.cli import dossier_command
from app.institution_libraries.cli import export_library_command, import_library_command
from app.notifications.cli import notify_cli
from app.planning.cli import scenarios_cli
from app.programs.bulk_cli import bulk_command
from app.programs.cli import projection_command
from app.programs.local_items_cli import items_cli
from app.reports.cli import reports_cli
from app.sso.cli import sso_cli
from app.transfer.cli import export_command, import_command
from app.worker import worker_command

cli = typer.Typer(help="gtready: readiness tracking for commercial gene therapy programs.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
checklists_cli = typer.Typer(help="Checklist libraries.", no_args_is_help=True)
users_cli = typer.Typer(help="People and accounts.", no_args_is_help=True)
audit_cli = typer.Typer(help="The audit trail.", no_args_is_help=True)
tokens_cli = typer.Typer(help="API tokens for scripts.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(checklists_cli, name="checklists")
cli.add_typer(users_cli, name="users")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(tokens_cli, name="tokens")
cli.add_typer(scenarios_cli, name="scenarios")
cli.add_typer(items_cli, name="items")
items_cli.command("bulk")(bulk_command)
cli.add_typer(reports_cli, name="reports")
cli.add_typer(notify_cli, name="notify")
cli.add_typer(sso_cli, name="sso")
cli.add_typer(service_accounts_cli, name="service-accounts")
cli.add_typer(committees_cli, name="committees")
cli.command("worker")(worker_command)
cli.command("export")(export_command)
cli.command("import")(import_command)
cli.command("projection")(projection_command)
cli.command("dossier")(dossier_command)
cli.command("capacity")(capacity_command)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Run the web service (migrate first with `gtready db upgrade`)."""
    import uvicorn

    from app.observability import uvicorn_log_config

    settings = Settings()
    check_database(settings)
    check_data_dir(settings)
    check_port(host, port)
    # RequestIdMiddleware logs each request (with its id), so uvicorn's access log would only repeat it.
    # X-Forwarded-For only from the proxies the settings name: otherwise anyone could pick the address that
    # login throttling counts them by (uvicorn on its own trusts 127.0.0.1).
    uvicorn.run(
        "app.asgi:app", host=host, port=port, workers=workers, access_log=False, log_config=uvicorn_log_config(),
        proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=settings.trusted_proxies or None,
    )


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "heads") -> None:
    """Migrate the database to the latest schema."""
    from app import migrate

    settings = Settings()
    check_database(settings)
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
    """Validate checklist libraries, their coverage maps and planning defaults; print every problem with its line."""
    try:
        libraries, defaults = validate_path(path)
    except LibraryError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"{plural(len(error.problems), 'problem')}; nothing loaded", err=True)
        raise typer.Exit(code=1) from None
    for library in libraries:
        items, areas = plural(len(library.items), "item"), plural(len(library.areas), "area")
        typer.echo(f"ok  {library.id} {library.version}: {items} in {areas}")
    for defaults_file in defaults:
        typer.echo(f"ok  {defaults_file.name}: planning defaults, every value sourced")


checklists_cli.command("import")(import_library_command)
checklists_cli.command("export")(export_library_command)


@checklists_cli.command("coverage")
def checklists_coverage(
    path: Annotated[Path, typer.Argument(help="A library folder, e.g. checklists/hemophilia-gt/1.1.0")],
    markdown: Annotated[bool, typer.Option(help="Print the tables for checklists/README.md")] = False,
) -> None:
    """Show which library items cover each part of the frameworks in the library's coverage.yaml."""
    from app.checklists.coverage import coverage_markdown, coverage_text

    try:
        libraries = load_path(path)
    except LibraryError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(code=1) from None
    for library in libraries:
        typer.echo(coverage_markdown(library) if markdown else coverage_text(library), nl=not markdown)


@cli.command()
def demo() -> None:
    """Seed the demo institution, its people (one per role) and a program part-way through set-up."""
    from app.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_demo
    from app.evidence.files import LocalStorage

    settings = Settings()
    check_database(settings)
    check_data_dir(settings)
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
    out: Annotated[Path, typer.Option(help="Where to write the PDF")] = Path("out") / "readiness-report.pdf",
    kind: Annotated[str, typer.Option(help="full, executive or a packet: pt-committee, ibc, finance, mec")] = "full",
    prepared_for: Annotated[str, typer.Option(help="Who it is for")] = "Gene therapy program steering committee",
    fmt: Annotated[str, typer.Option("--format", help="pdf, or docx: an editable Word copy")] = "pdf",
) -> None:
    """Generate, store and write a readiness report of a program (PDF, or a Word copy with --format docx)."""
    if fmt not in {"pdf", "docx"}:
        typer.echo(f"--format must be pdf or docx, not {fmt!r}", err=True)
        raise typer.Exit(code=1)
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
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "docx":
            from app.reports.docx import docx_for

            out = out.with_suffix(".docx") if out.suffix == ".pdf" else out
            out.write_bytes(docx_for(stored, settings.base_url))
            typer.echo(f"{stored.number}: Word document written to {out} (data SHA-256 {stored.data_sha256}; "
                       "the stored PDF is the record of truth)")
            return
        out.write_bytes(stored.pdf)
        pages = plural(stored.pages, "page")
        typer.echo(f"{stored.number}: {pages} written to {out} (data SHA-256 {stored.data_sha256})")


@audit_cli.command("verify")
def audit_verify(
    expect_head: Annotated[str | None, typer.Option(
        help="A head kept elsewhere, SEQ:HASH as `gtready audit head` printed it: the trail must still hold it",
    )] = None,
) -> None:
    """Recompute the audit hash chain, hold it to checkpoints and report heads; name what was altered or removed."""
    from app.audit.service import parse_head, verify_chain

    with open_session() as session, exit_on_domain_error():
        report = verify_chain(session, parse_head(expect_head) if expect_head else None)
    if report.valid:
        anchors = plural(report.anchors_checked, "anchor")
        typer.echo(f"audit chain intact: {plural(report.events, 'event')}, consistent with {anchors} "
                   "(checkpoints, report heads, a head given)")
        return
    where = f" at event {report.first_bad_seq}" if report.first_bad_seq else ""
    typer.echo(f"audit chain BROKEN{where}: {report.problem}", err=True)
    raise typer.Exit(code=1)


@audit_cli.command("head")
def audit_head() -> None:
    """Print the trail's newest event as SEQ:HASH and its time: keep it off this server, verify against it later."""
    from app.audit.service import chain_head

    with open_session() as session:
        head = chain_head(session)
    if head is None:
        fail("the audit trail is empty")
    typer.echo(f"{head.seq}:{head.hash} {head.at.isoformat()}")


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Record a checkpoint of the trail's head now (the writer also takes one every 100 events)."""
    from app.audit.service import write_checkpoint

    with open_session() as session, exit_on_domain_error():
        checkpoint = write_checkpoint(session, "gtready audit checkpoint")
    typer.echo(f"checkpoint {checkpoint.number}: event {checkpoint.seq} {checkpoint.head_hash}")


@tokens_cli.command("create")
def tokens_create(
    email: Annotated[str, typer.Option(help="Whose token: the person's email")],
    name: Annotated[str, typer.Option(help="What the token is for, shown in the account's token list")],
) -> None:
    """Make an API token for a person and print it once (it is stored hashed); send it as `Authorization: Bearer`."""
    from pydantic import ValidationError

    from app.auth.schemas import TokenCreate
    from app.auth.service import create_api_token, user_by_email

    try:
        body = TokenCreate(name=name)  # the same rules as `POST /api/auth/tokens`
    except ValidationError as error:
        fail(f"--name: {error.errors()[0]['msg']}")
    with open_session() as session, exit_on_domain_error():
        user = user_by_email(session, email)
        if not user.is_active:
            fail(f"{user.email} is deactivated; a token of theirs would not work")
        _, plain = create_api_token(session, user, body.name)
    typer.echo(plain)


def main() -> None:
    cli()
