"""Migration 0009 gives every existing program the US jurisdiction, and comes down again, on both databases."""

import uuid
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from app import migrate
from app.config import Settings
from tests import db_harness


def test_existing_programs_become_us_programs_and_the_column_comes_down_again(tmp_path: Path) -> None:
    url = db_harness.fresh_database_url(tmp_path, "jurisdiction")
    settings = Settings(database_url=url)
    engine = create_engine(url)
    institution_id, program_id = uuid.uuid4(), uuid.uuid4()
    try:
        migrate.upgrade(settings, "0006")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO institutions (id, name, created_at) VALUES (:id, 'Old', :at)"),
                               {"id": institution_id.hex if engine.dialect.name == "sqlite" else institution_id,
                                "at": "2026-01-01 00:00:00"})
            connection.execute(
                text("INSERT INTO programs (id, institution_id, title, products, care_role, library_id, "
                     "library_version, areas, created_at, updated_at) VALUES (:id, :inst, 'Old program', '[]', "
                     "'hub', 'mini', '1.0.0', '[]', :at, :at)"),
                {"id": program_id.hex if engine.dialect.name == "sqlite" else program_id,
                 "inst": institution_id.hex if engine.dialect.name == "sqlite" else institution_id,
                 "at": "2026-01-01 00:00:00"},
            )
        migrate.upgrade(settings, "0009")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT jurisdiction FROM programs")).scalar_one() == "us"
        migrate.downgrade(settings, "0006")
        assert "jurisdiction" not in {c["name"] for c in inspect(engine).get_columns("programs")}
        with engine.connect() as connection:
            assert connection.execute(text("SELECT title FROM programs")).scalar_one() == "Old program"
    finally:
        engine.dispose()
        if db_harness.USE_POSTGRES:
            db_harness.drop_postgres_database(url)
