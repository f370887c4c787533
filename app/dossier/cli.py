"""`gtready dossier PROGRAM_ID --product P --out FILE.zip` and `gtready dossier verify FILE.zip`."""

import os
import shutil
import uuid
from pathlib import Path
from typing import Annotated

import typer

from app.cli_support import exit_on_domain_error, open_session, plural
from app.config import Settings


def dossier_command(
    target: Annotated[str, typer.Argument(metavar="PROGRAM_ID|verify", help="The program's id, or 'verify'")],
    file: Annotated[Path | None, typer.Argument(help="With 'verify': the dossier zip to check")] = None,
    product: Annotated[str, typer.Option(help="The product the dossier is for, e.g. hemgenix")] = "",
    out: Annotated[Path | None, typer.Option(help="Where to write the zip (default: the dossier number)")] = None,
) -> None:
    """Generate a manufacturer site dossier for one product (zip with manifest, evidence and index PDF), or verify
    a dossier zip against its manifest and the stored record."""
    if target == "verify":
        _verify(file)
        return
    if file is not None:
        typer.echo(f"unexpected argument '{file}': give --product and --out", err=True)
        raise typer.Exit(code=2)
    try:
        wanted = uuid.UUID(target)
    except ValueError:
        typer.echo(f"PROGRAM_ID: '{target}' is not an id (a UUID) or 'verify'", err=True)
        raise typer.Exit(code=2) from None
    if not product:
        typer.echo("--product: required (e.g. --product hemgenix)", err=True)
        raise typer.Exit(code=2)
    _generate(wanted, product, out)


def _generate(program_id: uuid.UUID, product: str, out: Path | None) -> None:
    from app.checklists.loader import load_catalog
    from app.dossier.service import generate_dossier
    from app.evidence.files import LocalStorage
    from app.programs.service import get_program

    settings = Settings()
    with open_session(settings) as session, exit_on_domain_error():
        program = get_program(session, program_id)
        dossier, spool = generate_dossier(session, load_catalog(settings.checklists_dir),
                                          LocalStorage(settings.evidence_dir), None, program, product)
    destination = out or Path(f"{dossier.number}.zip")
    partial = destination.with_name(f".{destination.name}.part")  # never a half-written zip under the real name
    try:
        with spool, partial.open("wb") as handle:
            shutil.copyfileobj(spool, handle)
        os.replace(partial, destination)
    except OSError as error:
        partial.unlink(missing_ok=True)
        typer.echo(f"--out: {error.strerror}: {destination} (dossier {dossier.number} is recorded; "
                   f"download it again with GET /api/dossiers/{dossier.number})", err=True)
        raise typer.Exit(code=1) from None
    files = sum(len(i["evidence"]) for i in dossier.manifest["items"])
    typer.echo(f"dossier {dossier.number} for {dossier.manifest['product']['name']} written to {destination}: "
               f"{plural(len(dossier.manifest['items']), 'site requirement')}, {plural(files, 'evidence file')} "
               f"(zip SHA-256 {dossier.zip_sha256})")


def _verify(file: Path | None) -> None:
    from app.dossier.service import verify_file

    if file is None:
        typer.echo("FILE: give the dossier zip to verify", err=True)
        raise typer.Exit(code=2)
    if not file.is_file():
        typer.echo(f"FILE: no such file: {file}", err=True)
        raise typer.Exit(code=2)
    with open_session() as session, exit_on_domain_error():
        result = verify_file(session, file)
    for problem in result.problems:
        typer.echo(problem, err=True)
    if not result.matches:
        typer.echo(f"{file}: does NOT verify ({plural(len(result.problems), 'problem')})", err=True)
        raise typer.Exit(code=1)
    exact = "the very zip generated" if result.zip_sha256_matches else "re-packed, contents unchanged"
    typer.echo(f"{file}: dossier {result.number} verifies: {plural(result.files_checked, 'file')} match the manifest, "
               f"the manifest matches the stored record ({exact})")
