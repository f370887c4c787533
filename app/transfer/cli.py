"""`gtready export` and `gtready import`: back up a program to one archive and restore it elsewhere."""

import os
import uuid
from pathlib import Path
from typing import Annotated

import typer

from app.cli_support import exit_on_domain_error, open_session, plural
from app.config import Settings
from app.errors import DomainError
from app.transfer.common import TransferCounts


def export_command(
    program_id: Annotated[str, typer.Argument(help="The program's id")],
    out: Annotated[Path, typer.Option(help="Where to write the archive")] = Path("program.gtready.zip"),
) -> None:
    """Export a program (items, sign-offs, evidence files, reports, scenarios, people, audit events) to a zip."""
    from app.evidence.files import LocalStorage
    from app.transfer.service import export_program

    try:
        wanted = uuid.UUID(program_id)
    except ValueError:
        typer.echo(f"PROGRAM_ID: '{program_id}' is not a program id (a UUID)", err=True)
        raise typer.Exit(code=1) from None
    settings = Settings()
    partial = out.with_name(f".{out.name}.part")  # never leave a half-written archive under the real name
    with open_session(settings) as session:
        try:
            with partial.open("wb") as target:
                summary = export_program(session, LocalStorage(settings.evidence_dir), wanted, target)
        except (DomainError, OSError) as error:
            partial.unlink(missing_ok=True)
            detail = error.detail if isinstance(error, DomainError) else f"--out: {error.strerror}: {out}"
            typer.echo(detail, err=True)
            raise typer.Exit(code=1) from None
    os.replace(partial, out)
    typer.echo(
        f"exported '{summary.title}' ({summary.program_id}) to {out}: {_contents(summary)}, "
        f"{plural(summary.users, 'person', 'people')} (manifest SHA-256 {summary.manifest_sha256})"
    )


def import_command(
    archive: Annotated[Path, typer.Argument(help="An archive written by `gtready export`", exists=True,
                                            dir_okay=False, readable=True)],
) -> None:
    """Restore a program from an archive into the configured database, in one transaction."""
    from app.checklists.loader import load_catalog
    from app.evidence.files import LocalStorage
    from app.transfer.service import import_program

    settings = Settings()
    with open_session(settings) as session, archive.open("rb") as source, exit_on_domain_error():
        summary = import_program(session, load_catalog(settings.checklists_dir),
                                 LocalStorage(settings.evidence_dir), source)
    where = "new institution" if summary.institution_created else "institution"
    typer.echo(
        f"imported '{summary.title}' ({summary.program_id}) into {where} '{summary.institution}': "
        f"{_contents(summary)} restored"
    )
    if summary.users_created:
        typer.echo(f"people created without a password (they cannot log in until one is set): "
                   f"{', '.join(summary.users_created)}")
    if summary.users_linked:
        typer.echo(f"people linked to existing accounts: {', '.join(summary.users_linked)}")


def _contents(summary: TransferCounts) -> str:
    return ", ".join([
        plural(summary.items, "item"), plural(summary.signoffs, "sign-off"),
        plural(summary.evidence_files, "evidence file"), plural(summary.reports, "report"),
        plural(summary.scenarios, "scenario"), plural(summary.audit_events, "audit event"),
    ])
