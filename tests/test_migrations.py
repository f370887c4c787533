"""Migrations build the schema the models describe, and come down again, on SQLite and PostgreSQL."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app import migrate
from app.config import Settings
from tests import db_harness


def test_upgrade_matches_models_and_downgrade_removes_everything(tmp_path: Path) -> None:
    url = db_harness.fresh_database_url(tmp_path, "migrations")
    settings = Settings(database_url=url)
    engine = create_engine(url)
    try:
        migrate.upgrade(settings)
        assert migrate.is_current(settings, engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        migrate.downgrade(settings, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(settings)
        assert "program_items" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
        if db_harness.USE_POSTGRES:
            db_harness.drop_postgres_database(url)
