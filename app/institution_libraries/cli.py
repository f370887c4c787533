"""`gtready checklists import FILE --institution ID` and `gtready checklists export`: an institution's libraries
from the command line, through the same service (and so the same checks) as the API."""

import uuid
from pathlib import Path
from typing import Annotated

import typer

from app.cli_support import exit_on_domain_error, open_session, plural
from app.config import Settings


def _institution_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        typer.echo(f"--institution: '{value}' is not an institution id (a UUID)", err=True)
        raise typer.Exit(code=1) from None


def import_library_command(
    file: Annotated[Path, typer.Argument(help="An XLSX workbook (as downloaded) or one YAML file", exists=True,
                                         dir_okay=False, readable=True)],
    institution: Annotated[str, typer.Option(help="The institution's id")],
) -> None:
    """Store a workbook or YAML file as a new version of one of the institution's own libraries; print every
    problem (sheet, row and column, or line) and store nothing if the file is not valid."""
    from app.checklists.loader import load_catalog
    from app.institution_libraries.parse import MAX_FILE_BYTES
    from app.institution_libraries.service import LibraryRefused, import_library

    institution_id = _institution_id(institution)
    with file.open("rb") as source:
        content = source.read(MAX_FILE_BYTES + 1)
    settings = Settings()
    with open_session(settings) as session, exit_on_domain_error():
        try:
            stored = import_library(session, load_catalog(settings.checklists_dir), None, institution_id,
                                    content, file.name)
        except LibraryRefused as error:
            for problem in error.extra["problems"]:
                typer.echo(problem, err=True)
            typer.echo(error.detail, err=True)
            raise typer.Exit(code=1) from None
    row = stored.row
    typer.echo(f"stored {row.library_id} {row.version} ({plural(stored.items, 'item')}) for institution "
               f"{row.institution_id} from {row.source_name} (SHA-256 {row.source_sha256})")


def export_library_command(
    library_id: Annotated[str, typer.Argument(help="The library's id")],
    version: Annotated[str, typer.Argument(help="The version, e.g. 1.1.0")],
    out: Annotated[Path, typer.Option(help="Where to write it; .yaml writes YAML, anything else a workbook")],
    institution: Annotated[str | None, typer.Option(help="For one of the institution's own libraries")] = None,
) -> None:
    """Write a library version (shipped, or an institution's own) as an XLSX workbook or one YAML file."""
    from app.checklists.loader import load_catalog
    from app.institution_libraries.service import library_for, shipped_library
    from app.institution_libraries.workbook import library_workbook, library_yaml

    settings = Settings()
    catalog = load_catalog(settings.checklists_dir)
    with exit_on_domain_error():
        if institution is None:
            library = shipped_library(catalog, library_id, version)
        else:
            with open_session(settings) as session:
                library = library_for(session, catalog, _institution_id(institution), library_id, version)
        if out.suffix.lower() in (".yaml", ".yml"):
            out.write_text(library_yaml(library), encoding="utf-8")
        else:
            out.write_bytes(library_workbook(library))
    typer.echo(f"wrote {library.id} {library.version} ({plural(len(library.items), 'item')}) to {out}")
