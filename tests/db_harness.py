"""Test databases: a migrated SQLite template copied per test, or a PostgreSQL database per xdist worker
that is migrated once and truncated between tests. `DATABASE_URL` chooses (default: SQLite)."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import Engine, event, make_url, text
from sqlmodel import SQLModel

from app import migrate
from app.config import Settings

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
USE_POSTGRES = POSTGRES_URL.startswith("postgresql")


def postgres_database(name_suffix: str) -> str:
    """Create (afresh) a database named after the configured one plus a suffix; return its URL."""
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_{name_suffix}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def fresh_database_url(tmp_path: Path, suffix: str) -> str:
    """An empty database of the configured kind, for tests that migrate by themselves."""
    if USE_POSTGRES:
        return postgres_database(suffix)
    return f"sqlite:///{tmp_path / f'{suffix}.db'}"


def migrated_template(directory: Path, worker: str) -> str:
    url = postgres_database(f"t_{worker}") if USE_POSTGRES else f"sqlite:///{directory / 'template.db'}"
    migrate.upgrade(Settings(database_url=url))
    return url


def per_test_url(template_url: str, tmp_path: Path) -> str:
    if USE_POSTGRES:
        return template_url
    target = tmp_path / "gtready.db"
    shutil.copyfile(template_url.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


def empty_tables(engine: Engine) -> None:
    """Between PostgreSQL tests: every table emptied, schema and alembic_version kept."""
    if not USE_POSTGRES:
        return
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements `engine` runs inside the block."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
