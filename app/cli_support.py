"""What every `gtready` command shares: a database session, and a domain error told in one line with exit 1."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlmodel import Session

from app.config import Settings
from app.errors import DomainError


def open_session(settings: Settings | None = None) -> Session:
    from app.db import make_engine  # late: `gtready --help` needs no database driver

    return Session(make_engine(settings or Settings()), expire_on_commit=False)


@contextmanager
def exit_on_domain_error() -> Iterator[None]:
    """A refused command prints the service's own message on stderr and exits 1, never a traceback."""
    try:
        yield
    except DomainError as error:
        typer.echo(error.detail, err=True)
        raise typer.Exit(code=1) from None
