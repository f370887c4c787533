"""What every `gtready` command shares: a database session, and a domain error told in one line with exit 1."""

import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from sqlalchemy import make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
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


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 page`, `2 pages` (`1 person`, `2 people` with the irregular form given): counts read as English."""
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"


def fail(message: str) -> NoReturn:
    """A command that cannot start says why in one line on stderr and exits 1."""
    typer.echo(f"gtready: {message}", err=True)
    raise typer.Exit(code=1)


def database_location(database_url: str) -> str:
    """The database URL as messages may show it: without its password."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return database_url


def _reason(error: BaseException) -> str:
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def check_database(settings: Settings) -> None:
    """Open the database once before a command relies on it, so a first run's usual faults (a bad URL, a server
    that is down, a folder that cannot be created or written) read as their cause instead of a traceback."""
    from app.db import make_engine  # late: `gtready --help` needs no database driver

    try:
        engine = make_engine(settings)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError, ValueError) as error:
        fail(f"cannot open the database at {database_location(settings.database_url)}: {_reason(error)}")


def check_data_dir(settings: Settings) -> None:
    """The service keeps evidence and reports under GTREADY_DATA_DIR: it must be a folder we can write."""
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=settings.data_dir):
            pass
    except OSError as error:
        fail(f"cannot write the data folder {settings.data_dir}: {_reason(error)}")


def check_port(host: str, port: int) -> None:
    """Bind the address once before uvicorn does: a port in use is one line, not uvicorn's log and traceback."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.create_server((host, port), family=family):
            pass
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {_reason(error)}")
